-- squawk: known not online. ADD COLUMN takes ACCESS EXCLUSIVE on products, held until this
-- migration commits, and rebuild_product_store_ids() (at the end) updates every product that a
-- store carries: products can be neither read nor written meanwhile, and the triggers on inventory
-- (SHARE ROW EXCLUSIVE) keep every stock row from being written (no order completes). An upgrade of
-- a large database must apply it in a maintenance window until it is rewritten (that rewrite is
-- separate work).
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- known not online: see above

-- The stores that carry each product (have a stock row for it, in stock or not), on the product
-- row: a search with a store filter checks the product it has read instead of probing the
-- store's stock for it. No index: a store carries 30% of the products, and a GIN bitmap of
-- its 300,000 took 21 ms to build before it was ANDed with a word's (measured, then dropped).
--
-- Kept exact by triggers on inventory (a stock row created or deleted; orders only change
-- quantities and never touch it). Each locks the products' rows in id order first, so writers
-- of one product take turns, then adds or removes its stores on the row as it stands.
ALTER TABLE products ADD COLUMN store_ids BIGINT[] NOT NULL DEFAULT '{}';

CREATE FUNCTION inventory_refresh_product_store_ids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM products WHERE id IN (SELECT product_id FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
        UPDATE products p
        SET store_ids = ARRAY(SELECT DISTINCT s FROM unnest(p.store_ids || added.store_ids) s ORDER BY s)
        FROM (SELECT product_id, array_agg(store_id) AS store_ids FROM new_rows GROUP BY product_id) added
        WHERE p.id = added.product_id;
    ELSE
        PERFORM 1 FROM products WHERE id IN (SELECT product_id FROM old_rows) ORDER BY id FOR NO KEY UPDATE;
        UPDATE products p
        SET store_ids = ARRAY(SELECT s FROM unnest(p.store_ids) s WHERE s <> ALL (removed.store_ids) ORDER BY s)
        FROM (SELECT product_id, array_agg(store_id) AS store_ids FROM old_rows GROUP BY product_id) removed
        WHERE p.id = removed.product_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER inventory_product_store_ids_insert AFTER INSERT ON inventory
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refresh_product_store_ids();
CREATE TRIGGER inventory_product_store_ids_delete AFTER DELETE ON inventory
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refresh_product_store_ids();

-- TRUNCATE of inventory (or of products, which cascades): no product is carried anywhere.
CREATE FUNCTION truncate_product_store_ids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products SET store_ids = '{}' WHERE store_ids <> '{}';
    RETURN NULL;
END
$$;

CREATE TRIGGER inventory_product_store_ids_truncate AFTER TRUNCATE ON inventory
    FOR EACH STATEMENT EXECUTE FUNCTION truncate_product_store_ids();

-- Every product's stores, recomputed (the seeder's bulk load runs it once at its end).
CREATE FUNCTION rebuild_product_store_ids() RETURNS void LANGUAGE sql AS $$
    UPDATE products p SET store_ids = coalesce(carried.store_ids, '{}')
    FROM products q
    LEFT JOIN (
        SELECT product_id, array_agg(store_id ORDER BY store_id) AS store_ids
        FROM inventory GROUP BY product_id
    ) carried ON carried.product_id = q.id
    WHERE p.id = q.id AND p.store_ids IS DISTINCT FROM coalesce(carried.store_ids, '{}');
$$;

SELECT rebuild_product_store_ids();
