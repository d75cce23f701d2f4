DROP INDEX products_title_vector_idx;
ALTER TABLE products DROP COLUMN title_vector;
