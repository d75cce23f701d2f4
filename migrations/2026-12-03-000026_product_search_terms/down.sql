DROP TRIGGER products_search_terms_truncate ON products;
DROP TRIGGER products_search_terms_delete ON products;
DROP TRIGGER products_search_terms_update ON products;
DROP TRIGGER products_search_terms_insert ON products;
DROP FUNCTION rebuild_product_search_terms();
DROP FUNCTION truncate_product_search_terms();
DROP FUNCTION products_refresh_search_terms();
DROP TABLE product_search_terms;
