-- squawk: down.sql undoes up.sql, and the project never runs it: `server migrate` applies pending
-- up.sql files only, and reverting is done by hand (diesel CLI). Accepted here for that reason:
-- squawk-ignore-file ban-drop-function, ban-drop-table -- undoes up.sql (above)
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- undoes up.sql (above)

DROP TRIGGER products_out_of_stock_insert ON products;
DROP FUNCTION products_start_out_of_stock();
DROP TRIGGER inventory_out_of_stock_delete ON inventory;
DROP TRIGGER inventory_out_of_stock_update ON inventory;
DROP TRIGGER inventory_out_of_stock_insert ON inventory;
DROP FUNCTION inventory_refresh_out_of_stock();
DROP FUNCTION rebuild_out_of_stock_products();
DROP FUNCTION refresh_out_of_stock(BIGINT[]);
DROP TABLE out_of_stock_products;
