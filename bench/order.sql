-- The order transaction of POST /orders/ as plain SQL, for pgbench: the same statements the
-- Postgres adapter sends for a two-line order that is confirmed (store check, lock the stock
-- rows in product order, deduct, insert order + lines + outbox job, commit), with literal
-- values instead of bound parameters. Variables: stores, products (pgbench -D).
\set store random(1, :stores)
\set p1 random(1, :products)
\set p2 (:p1 % :products) + 1
BEGIN;
SELECT EXISTS (SELECT 1 FROM stores WHERE id = :store);
WITH locked AS (
    SELECT product_id, quantity FROM inventory
    WHERE store_id = :store AND product_id = ANY (ARRAY[:p1, :p2]::bigint[])
    ORDER BY product_id
    FOR UPDATE
)
SELECT p.id, p.title, coalesce(locked.quantity, 0) AS quantity
FROM products p LEFT JOIN locked ON locked.product_id = p.id
WHERE p.id = ANY (ARRAY[:p1, :p2]::bigint[]);
UPDATE inventory AS i SET quantity = i.quantity - d.quantity
FROM unnest(ARRAY[:p1, :p2]::bigint[], ARRAY[1, 1]::int[]) AS d(product_id, quantity)
WHERE i.store_id = :store AND i.product_id = d.product_id;
WITH new_order AS (
    INSERT INTO orders (store_id, status) VALUES (:store, 'CONFIRMED') RETURNING id, created_at
), new_lines AS (
    INSERT INTO order_items (order_id, product_id, quantity_requested, quantity_available)
    SELECT new_order.id, l.product_id, l.requested, l.available
    FROM new_order,
         unnest(ARRAY[:p1, :p2]::bigint[], ARRAY[1, 1]::int[], ARRAY[1000, 1000]::int[]) WITH ORDINALITY
             AS l(product_id, requested, available, position)
    ORDER BY l.position
), confirmation AS (
    INSERT INTO outbox (kind, order_id) SELECT 'order_confirmation', new_order.id FROM new_order WHERE true
)
SELECT id, created_at FROM new_order;
COMMIT;
