DROP TRIGGER inventory_product_store_ids_truncate ON inventory;
DROP TRIGGER inventory_product_store_ids_delete ON inventory;
DROP TRIGGER inventory_product_store_ids_insert ON inventory;
DROP FUNCTION rebuild_product_store_ids();
DROP FUNCTION truncate_product_store_ids();
DROP FUNCTION inventory_refresh_product_store_ids();
ALTER TABLE products DROP COLUMN store_ids;
