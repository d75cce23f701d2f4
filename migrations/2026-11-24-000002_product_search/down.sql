-- squawk: down.sql undoes up.sql, and the project never runs it: `server migrate` applies pending
-- up.sql files only, and reverting is done by hand (diesel CLI). Accepted here for that reason:
-- squawk-ignore-file ban-drop-column, ban-drop-function -- undoes up.sql (above)
-- squawk-ignore-file require-concurrent-index-deletion -- undoes up.sql (above)
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- undoes up.sql (above)

DROP INDEX products_price_desc_idx;
DROP INDEX products_price_idx;
DROP INDEX products_newest_idx;
DROP INDEX products_title_length_prefix_idx;
DROP INDEX products_title_trgm_idx;
DROP INDEX products_search_vector_idx;
DROP TRIGGER categories_rename_refreshes_products ON categories;
DROP FUNCTION categories_refresh_product_search();
DROP TRIGGER products_search_vector ON products;
DROP FUNCTION products_refresh_search_vector();
ALTER TABLE products DROP COLUMN search_vector;
DROP FUNCTION product_search_vector(TEXT, TEXT, TEXT);
