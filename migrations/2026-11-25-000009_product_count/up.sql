-- squawk: a new table, filled by one count(*) of products (31 ms at 1,000,000, below), which blocks
-- no writer; then triggers that take SHARE ROW EXCLUSIVE on products, held for the rest of this
-- migration: function and trigger definitions, a moment. Written before timeouts were checked.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- see above

-- The number of products, kept exact by statement-level triggers: a search with no filter at
-- all (the catalogue's landing page, `sort=newest`) counts every product, and count(*) over
-- 1,000,000 rows took 31 ms on every such request. Each writing statement adds its row count
-- under this one row's lock, so concurrent catalogue writers take turns (rare, and short);
-- readers see the count of exactly the products their snapshot sees.
CREATE TABLE product_count (
    only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
    products BIGINT NOT NULL CHECK (products >= 0)
);
INSERT INTO product_count (products) SELECT count(*) FROM products;

CREATE FUNCTION products_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE product_count SET products = products + (SELECT count(*) FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE product_count SET products = products - (SELECT count(*) FROM old_rows);
    ELSE
        UPDATE product_count SET products = 0;   -- TRUNCATE
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_count_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_count_rows();
CREATE TRIGGER products_count_delete AFTER DELETE ON products
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_count_rows();
CREATE TRIGGER products_count_truncate AFTER TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION products_count_rows();

-- After bulk loads that switch the insert trigger off (the seeder).
CREATE FUNCTION rebuild_product_count() RETURNS void LANGUAGE sql AS $$
    UPDATE product_count SET products = (SELECT count(*) FROM products);
$$;
