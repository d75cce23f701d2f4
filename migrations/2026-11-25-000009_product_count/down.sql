DROP TABLE product_count;
DROP FUNCTION rebuild_product_count();
DROP TRIGGER products_count_insert ON products;
DROP TRIGGER products_count_delete ON products;
DROP TRIGGER products_count_truncate ON products;
DROP FUNCTION products_count_rows();
