-- squawk: down.sql undoes up.sql, and the project never runs it: `server migrate` applies pending
-- up.sql files only, and reverting is done by hand (diesel CLI). Accepted here for that reason:
-- squawk-ignore-file require-concurrent-index-creation -- undoes up.sql (above)
-- squawk-ignore-file require-concurrent-index-deletion -- undoes up.sql (above)
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- undoes up.sql (above)

CREATE INDEX products_newest_idx ON products (created_at DESC, id);
CREATE INDEX products_price_idx ON products (price, id);
CREATE INDEX products_price_desc_idx ON products (price DESC, id);
CREATE INDEX products_category_price_idx ON products (category_id, price);
DROP INDEX products_newest_cover_idx;
DROP INDEX products_price_cover_idx;
DROP INDEX products_price_desc_cover_idx;
DROP INDEX products_category_price_cover_idx;
