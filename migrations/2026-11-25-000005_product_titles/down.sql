-- squawk: down.sql undoes up.sql, and the project never runs it: `server migrate` applies pending
-- up.sql files only, and reverting is done by hand (diesel CLI). Accepted here for that reason:
-- squawk-ignore-file ban-drop-function, ban-drop-table -- undoes up.sql (above)
-- squawk-ignore-file require-concurrent-index-creation -- undoes up.sql (above)
-- squawk-ignore-file require-concurrent-index-deletion -- undoes up.sql (above)
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- undoes up.sql (above)

DROP TRIGGER products_titles_delete ON products;
DROP TRIGGER products_titles_update ON products;
DROP TRIGGER products_titles_insert ON products;
DROP FUNCTION products_refresh_titles();
DROP FUNCTION rebuild_product_titles();
DROP FUNCTION refresh_product_titles(TEXT[]);
CREATE INDEX products_title_suggest_idx
    ON products (length(title), (lower(title) COLLATE "C")) INCLUDE (title);
DROP INDEX products_title_key_idx;
DROP TABLE product_titles;
