-- squawk: down.sql undoes up.sql, and the project never runs it: `server migrate` applies pending
-- up.sql files only, and reverting is done by hand (diesel CLI). Accepted here for that reason:
-- squawk-ignore-file ban-drop-function, ban-drop-table -- undoes up.sql (above)
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- undoes up.sql (above)

DROP TRIGGER products_title_words_truncate ON products;
DROP TRIGGER inventory_title_words_delete ON inventory;
DROP TRIGGER inventory_title_words_insert ON inventory;
DROP TRIGGER products_title_words_delete ON products;
DROP TRIGGER products_title_words_update ON products;
DROP TRIGGER products_title_words_insert ON products;
DROP FUNCTION rebuild_product_title_words();
DROP FUNCTION truncate_product_title_words();
DROP FUNCTION inventory_refresh_title_words();
DROP FUNCTION products_refresh_title_words();
DROP FUNCTION refresh_product_title_words(BIGINT[]);
DROP TABLE product_title_words;
