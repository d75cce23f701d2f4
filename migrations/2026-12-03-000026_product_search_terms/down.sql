-- squawk: down.sql undoes up.sql, and the project never runs it: `server migrate` applies pending
-- up.sql files only, and reverting is done by hand (diesel CLI). Accepted here for that reason:
-- squawk-ignore-file ban-drop-function, ban-drop-table -- undoes up.sql (above)
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- undoes up.sql (above)

DROP TRIGGER products_search_terms_truncate ON products;
DROP TRIGGER products_search_terms_delete ON products;
DROP TRIGGER products_search_terms_update ON products;
DROP TRIGGER products_search_terms_insert ON products;
DROP FUNCTION rebuild_product_search_terms();
DROP FUNCTION truncate_product_search_terms();
DROP FUNCTION products_refresh_search_terms();
DROP TABLE product_search_terms;
