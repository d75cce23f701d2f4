-- squawk: down.sql undoes up.sql, and the project never runs it: `server migrate` applies pending
-- up.sql files only, and reverting is done by hand (diesel CLI). Accepted here for that reason:
-- squawk-ignore-file ban-drop-function, ban-drop-table -- undoes up.sql (above)
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- undoes up.sql (above)

DROP TRIGGER inventory_level_counts_truncate ON inventory;
DROP TRIGGER inventory_level_changes_delete ON inventory;
DROP TRIGGER inventory_level_changes_update ON inventory;
DROP TRIGGER inventory_level_changes_insert ON inventory;
DROP FUNCTION rebuild_stock_level_counts();
DROP FUNCTION fold_stock_level_changes(INTEGER);
DROP FUNCTION inventory_truncate_level_counts();
DROP FUNCTION inventory_record_level_changes();
DROP TABLE stock_level_changes;
DROP TABLE stock_level_counts;
