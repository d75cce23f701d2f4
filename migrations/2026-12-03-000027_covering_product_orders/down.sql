CREATE INDEX products_newest_idx ON products (created_at DESC, id);
CREATE INDEX products_price_idx ON products (price, id);
CREATE INDEX products_price_desc_idx ON products (price DESC, id);
CREATE INDEX products_category_price_idx ON products (category_id, price);
DROP INDEX products_newest_cover_idx;
DROP INDEX products_price_cover_idx;
DROP INDEX products_price_desc_cover_idx;
DROP INDEX products_category_price_cover_idx;
