-- squawk: not online on a large products table. ADD COLUMN takes ACCESS EXCLUSIVE on products, held
-- until this migration commits, so products can be neither read nor written while every product is
-- updated (search_vector), scanned (SET NOT NULL) and six indexes are built. A large database that
-- has yet to apply it does so in a maintenance window.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- not online: see above

-- Product search (full-text, weighted) and autocomplete (prefix and substring) indexes.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Title above category above description. A generated column cannot read the category's name,
-- so triggers keep the vector current: on product writes, and on category renames.
CREATE FUNCTION product_search_vector(title TEXT, category_name TEXT, description TEXT)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(category_name, '')), 'B')
        || setweight(to_tsvector('english', coalesce(description, '')), 'C')
$$;

ALTER TABLE products ADD COLUMN search_vector tsvector;

CREATE FUNCTION products_refresh_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := product_search_vector(
        NEW.title, (SELECT name FROM categories WHERE id = NEW.category_id), NEW.description);
    RETURN NEW;
END
$$;

CREATE TRIGGER products_search_vector
    BEFORE INSERT OR UPDATE OF title, description, category_id ON products
    FOR EACH ROW EXECUTE FUNCTION products_refresh_search_vector();

CREATE FUNCTION categories_refresh_product_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products SET search_vector = product_search_vector(title, NEW.name, description)
    WHERE category_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER categories_rename_refreshes_products
    AFTER UPDATE OF name ON categories
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION categories_refresh_product_search();

UPDATE products p SET search_vector = product_search_vector(p.title, c.name, p.description)
FROM categories c WHERE c.id = p.category_id;
-- squawk-ignore adding-not-nullable-field -- not online: see the top of this file
ALTER TABLE products ALTER COLUMN search_vector SET NOT NULL;

-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX products_search_vector_idx ON products USING gin (search_vector);
-- Substring matches on titles: partial words in search, the "contains" group of suggest.
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX products_title_trgm_idx ON products USING gin (lower(title) gin_trgm_ops);
-- Suggest's prefix group: one short range scan per title length, shortest first.
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX products_title_length_prefix_idx ON products (length(title), lower(title) text_pattern_ops);
-- Sorts of the search endpoint.
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX products_newest_idx ON products (created_at DESC, id);
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX products_price_idx ON products (price, id);
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX products_price_desc_idx ON products (price DESC, id);
