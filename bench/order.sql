-- The order transaction of POST /orders/ as plain SQL, for pgbench: the statements the
-- Postgres adapter (adapters/src/postgres/order_transaction.rs) sends for a two-line order that
-- is confirmed — lock the stock rows in product order (with the products and whether the store
-- exists), then one statement deducting (with each row's ledger entry) and inserting order +
-- lines + outbox job (+ key) that checks its own deduction count, then commit — with pgbench variables instead of bound
-- parameters. Variables: stores, products (pgbench -D). `bench orders` also runs it pipelined
-- as the server sends it (pipeline meta-commands around BEGIN + lock and order + COMMIT). (The server also pins generic plans with SET LOCAL in its
-- BEGIN message; pgbench gets generic plans anyway, its arrays being literal ARRAY[...]s.)
\set store random(1, :stores)
\set p1 random(1, :products)
\set p2 (:p1 % :products) + 1
BEGIN;
WITH locked AS (
    SELECT product_id, quantity FROM inventory
    WHERE store_id = :store AND product_id = ANY (ARRAY[:p1, :p2]::bigint[])
    ORDER BY product_id
    FOR UPDATE
)
SELECT EXISTS (SELECT 1 FROM stores WHERE id = :store) AS store_exists,
       p.id, p.title, coalesce(locked.quantity, 0) AS quantity
FROM (SELECT) AS one
LEFT JOIN (products p LEFT JOIN locked ON locked.product_id = p.id)
    ON p.id = ANY (ARRAY[:p1, :p2]::bigint[]);
WITH line AS (
    SELECT * FROM unnest(ARRAY[:p1, :p2]::bigint[], ARRAY[1, 1]::int[], ARRAY[1000, 1000]::int[])
        WITH ORDINALITY AS l(product_id, requested, available, position)
), deducted AS (
    UPDATE inventory AS i
    SET quantity = i.quantity - line.requested, version = i.version + 1
    FROM line
    WHERE true AND i.store_id = :store AND i.product_id = line.product_id
    RETURNING i.store_id, i.product_id, i.quantity, i.version, line.requested
), new_order AS (
    INSERT INTO orders (store_id, status, created_at) VALUES (:store, 'CONFIRMED', clock_timestamp())
    RETURNING id, created_at
), ledger AS (
    INSERT INTO stock_movements (store_id, product_id, position, kind, delta,
                                 quantity_before, quantity_after, order_id, created_at)
    SELECT d.store_id, d.product_id, d.version, 'order', -d.requested,
           d.quantity + d.requested, d.quantity, new_order.id, new_order.created_at
    FROM deducted d, new_order
), new_lines AS (
    INSERT INTO order_items (order_id, product_id, quantity_requested, quantity_available)
    SELECT new_order.id, line.product_id, line.requested, line.available
    FROM new_order, line
    ORDER BY line.position
), confirmation AS (
    INSERT INTO outbox (kind, order_id) SELECT 'order_confirmation', new_order.id FROM new_order WHERE true
), keyed AS (
    UPDATE idempotency_keys SET order_id = new_order.id
    FROM new_order
    WHERE idempotency_keys.key = NULL
)
SELECT id, created_at FROM new_order
WHERE aforro_check((SELECT count(*) FROM deducted) = 2, 'the order deducted a different number of stock rows than it has lines');
COMMIT;
