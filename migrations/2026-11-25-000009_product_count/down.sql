-- squawk: down.sql undoes up.sql, and the project never runs it: `server migrate` applies pending
-- up.sql files only, and reverting is done by hand (diesel CLI). Accepted here for that reason:
-- squawk-ignore-file ban-drop-function, ban-drop-table -- undoes up.sql (above)
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- undoes up.sql (above)

DROP TABLE product_count;
DROP FUNCTION rebuild_product_count();
DROP TRIGGER products_count_insert ON products;
DROP TRIGGER products_count_delete ON products;
DROP TRIGGER products_count_truncate ON products;
DROP FUNCTION products_count_rows();
