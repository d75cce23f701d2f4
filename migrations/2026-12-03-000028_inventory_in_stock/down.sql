DROP INDEX inventory_in_stock_idx;
