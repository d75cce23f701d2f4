UPDATE inventory SET version = 0 WHERE version <> 0;
DELETE FROM stock_movements;
