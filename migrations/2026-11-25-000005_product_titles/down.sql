DROP TRIGGER products_titles_delete ON products;
DROP TRIGGER products_titles_update ON products;
DROP TRIGGER products_titles_insert ON products;
DROP FUNCTION products_refresh_titles();
DROP FUNCTION rebuild_product_titles();
DROP FUNCTION refresh_product_titles(TEXT[]);
CREATE INDEX products_title_suggest_idx
    ON products (length(title), (lower(title) COLLATE "C")) INCLUDE (title);
DROP INDEX products_title_key_idx;
DROP TABLE product_titles;
