-- squawk: known not online. ADD COLUMN takes ACCESS EXCLUSIVE on products and their search terms,
-- held until this migration commits; the backfill (rebuild_product_store_ids, then every search
-- term rewritten) and the index builds at the end run under it: nothing is read or written there
-- meanwhile, and the new triggers on inventory keep every stock row from being written (no order
-- completes). About 3 min at 1,000,000 products and 6,000,000 stock rows. An upgrade of a large
-- database must apply it in a maintenance window until it is rewritten (that rewrite is separate
-- work).
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- known not online: see above
-- squawk-ignore-file require-concurrent-index-deletion -- known not online: see above

-- The stores that carry each product with none of it in stock (a stock row of quantity 0), on
-- the product row and on its search terms, beside the stores that carry it (store_ids,
-- migration 25). "In stock at store S" becomes a check of the row a search has read already:
-- S in store_ids and not in sold_out_store_ids. Before, each match was probed in the store's
-- in-stock rows (migration 28), 1–3 µs a match, or merged with them: a store's 150,000
-- in-stock rows read to check 5,600 matches of one word (q=Caramel&store_id=13&in_stock=true:
-- 23 ms of its 44). Usually empty: one stock row in ten is at zero.
--
-- Kept exact by statement triggers on inventory: a stock row created or deleted at zero, or
-- one whose quantity crossed zero (an order that sold the last one, a restock, a cancellation
-- that gave stock back). Most orders cross nothing and do no extra work. The refresh locks the
-- products' rows in id order first (as refresh_out_of_stock does, migration 4), so the writers
-- of one product's stock in different stores take turns and each recomputes the set from the
-- stock rows as committed, never from a copy it read before it waited.
ALTER TABLE products ADD COLUMN sold_out_store_ids BIGINT[] NOT NULL DEFAULT '{}';
ALTER TABLE product_search_terms ADD COLUMN sold_out_store_ids BIGINT[] NOT NULL DEFAULT '{}';

CREATE FUNCTION refresh_product_sold_out_stores(ids BIGINT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM products WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
    UPDATE products p SET sold_out_store_ids = now_sold_out.store_ids
    FROM (
        SELECT q.id, ARRAY(
            SELECT i.store_id FROM inventory i
            WHERE i.product_id = q.id AND i.quantity = 0 ORDER BY i.store_id
        ) AS store_ids
        FROM products q WHERE q.id = ANY (ids)
    ) now_sold_out
    WHERE p.id = now_sold_out.id AND p.sold_out_store_ids <> now_sold_out.store_ids;
END
$$;

CREATE FUNCTION inventory_refresh_sold_out_stores() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids BIGINT[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT product_id) INTO ids FROM new_rows WHERE quantity = 0;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT product_id) INTO ids FROM old_rows WHERE quantity = 0;
    ELSE
        SELECT array_agg(DISTINCT n.product_id) INTO ids
        FROM new_rows n JOIN old_rows o USING (store_id, product_id)
        WHERE (n.quantity > 0) <> (o.quantity > 0);
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM refresh_product_sold_out_stores(ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER inventory_sold_out_stores_insert AFTER INSERT ON inventory
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refresh_sold_out_stores();
CREATE TRIGGER inventory_sold_out_stores_update AFTER UPDATE ON inventory
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refresh_sold_out_stores();
CREATE TRIGGER inventory_sold_out_stores_delete AFTER DELETE ON inventory
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refresh_sold_out_stores();

-- A statement that creates or deletes stock rows locks all their products, in id order, before
-- any trigger below locks a part of them: refresh_out_of_stock those in stock (migration 4), the
-- refresh above those at zero, the stores' refresh all of them (migration 25). Taking a part
-- first and the rest later let two writers each hold a product the other wanted next ("deadlock
-- detected": stock rows at zero and in stock created by eight clients at once, the test
-- search_stock). It fires before them, as triggers of one event fire in name order. An update
-- needs none: each of its triggers locks the same products, those whose stock crossed zero.
CREATE FUNCTION inventory_lock_products() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM products WHERE id IN (SELECT product_id FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
    ELSE
        PERFORM 1 FROM products WHERE id IN (SELECT product_id FROM old_rows) ORDER BY id FOR NO KEY UPDATE;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER inventory_lock_products_insert AFTER INSERT ON inventory
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_lock_products();
CREATE TRIGGER inventory_lock_products_delete AFTER DELETE ON inventory
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_lock_products();

-- TRUNCATE of inventory: no product is carried anywhere, so sold out nowhere either.
CREATE OR REPLACE FUNCTION truncate_product_store_ids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products SET store_ids = '{}', sold_out_store_ids = '{}'
    WHERE store_ids <> '{}' OR sold_out_store_ids <> '{}';
    RETURN NULL;
END
$$;

-- Every product's stores and sold-out stores, recomputed (the seeder's bulk load runs it once at
-- its end, before the search terms are rebuilt from the products).
CREATE OR REPLACE FUNCTION rebuild_product_store_ids() RETURNS void LANGUAGE sql AS $$
    UPDATE products p
    SET store_ids = coalesce(carried.store_ids, '{}'),
        sold_out_store_ids = coalesce(carried.sold_out_store_ids, '{}')
    FROM products q
    LEFT JOIN (
        SELECT product_id,
               array_agg(store_id ORDER BY store_id) AS store_ids,
               array_agg(store_id ORDER BY store_id) FILTER (WHERE quantity = 0) AS sold_out_store_ids
        FROM inventory GROUP BY product_id
    ) carried ON carried.product_id = q.id
    WHERE p.id = q.id
      AND (p.store_ids, p.sold_out_store_ids) IS DISTINCT FROM
          (coalesce(carried.store_ids, '{}'), coalesce(carried.sold_out_store_ids, '{}'));
$$;

-- The search terms copy the sold-out stores as they copy the stores (migration 26).
CREATE OR REPLACE FUNCTION products_refresh_search_terms() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed BIGINT[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO product_search_terms
            (term, product_id, in_title, category_id, price, created_at, store_ids, sold_out_store_ids)
        SELECT t.lexeme, p.id, 'A' = ANY (t.weights), p.category_id, p.price, p.created_at,
               p.store_ids, p.sold_out_store_ids
        FROM new_rows p CROSS JOIN LATERAL unnest(p.search_vector) t;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM product_search_terms s
        USING old_rows o CROSS JOIN LATERAL unnest(o.search_vector) t
        WHERE s.term = t.lexeme AND s.product_id = o.id;
    ELSE
        -- Only products whose terms or what is kept beside them changed.
        SELECT array_agg(n.id) INTO changed
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.search_vector, n.price, n.created_at, n.category_id, n.store_ids, n.sold_out_store_ids)
              IS DISTINCT FROM
              (o.search_vector, o.price, o.created_at, o.category_id, o.store_ids, o.sold_out_store_ids);
        IF changed IS NOT NULL THEN
            DELETE FROM product_search_terms s
            USING old_rows o CROSS JOIN LATERAL unnest(o.search_vector) t
            WHERE s.term = t.lexeme AND s.product_id = o.id AND o.id = ANY (changed);
            INSERT INTO product_search_terms
                (term, product_id, in_title, category_id, price, created_at, store_ids, sold_out_store_ids)
            SELECT t.lexeme, p.id, 'A' = ANY (t.weights), p.category_id, p.price, p.created_at,
                   p.store_ids, p.sold_out_store_ids
            FROM new_rows p CROSS JOIN LATERAL unnest(p.search_vector) t
            WHERE p.id = ANY (changed);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION rebuild_product_search_terms() RETURNS void LANGUAGE sql AS $$
    TRUNCATE product_search_terms;
    INSERT INTO product_search_terms
        (term, product_id, in_title, category_id, price, created_at, store_ids, sold_out_store_ids)
    SELECT t.lexeme, p.id, 'A' = ANY (t.weights), p.category_id, p.price, p.created_at,
           p.store_ids, p.sold_out_store_ids
    FROM products p CROSS JOIN LATERAL unnest(p.search_vector) t;
$$;

-- The indexes that carry the stores carry the sold-out stores too, so a walk or a gathering
-- filtered by a store's stock reads them alone. Dropped before the backfill, which then writes
-- no index entries, and built again after it.
DROP INDEX product_search_terms_term_idx;
DROP INDEX products_title_key_cover_idx;
DROP INDEX products_category_newest_cover_idx;
DROP INDEX products_category_price_cover_idx;
DROP INDEX products_newest_cover_idx;
DROP INDEX products_price_cover_idx;
DROP INDEX products_price_desc_cover_idx;

-- The terms are rewritten whole below: not product by product as the backfill changes them.
ALTER TABLE products DISABLE TRIGGER products_search_terms_update;
SELECT rebuild_product_store_ids();
ALTER TABLE products ENABLE TRIGGER products_search_terms_update;
SELECT rebuild_product_search_terms();

-- squawk-ignore require-concurrent-index-creation -- known not online: see the top of this file
CREATE UNIQUE INDEX product_search_terms_term_idx ON product_search_terms (term, product_id)
    INCLUDE (in_title, category_id, price, created_at, store_ids, sold_out_store_ids);
-- squawk-ignore require-concurrent-index-creation -- known not online: see the top of this file
CREATE INDEX products_title_key_cover_idx ON products (title_key)
    INCLUDE (id, price, category_id, created_at, store_ids, sold_out_store_ids);
-- squawk-ignore require-concurrent-index-creation -- known not online: see the top of this file
CREATE INDEX products_category_newest_cover_idx ON products (category_id, created_at DESC, id)
    INCLUDE (price, store_ids, sold_out_store_ids);
-- squawk-ignore require-concurrent-index-creation -- known not online: see the top of this file
CREATE INDEX products_category_price_cover_idx ON products (category_id, price)
    INCLUDE (id, created_at, store_ids, sold_out_store_ids);
-- squawk-ignore require-concurrent-index-creation -- known not online: see the top of this file
CREATE INDEX products_newest_cover_idx ON products (created_at DESC, id)
    INCLUDE (price, category_id, store_ids, sold_out_store_ids);
-- squawk-ignore require-concurrent-index-creation -- known not online: see the top of this file
CREATE INDEX products_price_cover_idx ON products (price, id)
    INCLUDE (created_at, category_id, store_ids, sold_out_store_ids);
-- squawk-ignore require-concurrent-index-creation -- known not online: see the top of this file
CREATE INDEX products_price_desc_cover_idx ON products (price DESC, id)
    INCLUDE (created_at, category_id, store_ids, sold_out_store_ids);
