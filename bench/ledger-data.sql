-- Data for scripts/bench-ledger: a year of history at migration 17, in plain SQL.
--
-- Run by psql on a database migrated to 17 (and no further), with these variables (-v):
--   stores, products, order_lines (exactly this many order_items), adjustments (about this
--   many stock_adjustments), hot_movements (exactly this many movements of the hot row:
--   store 1, product 1, its confirmed order lines plus its adjustments).
--
-- The shape, so both measurements see what production would:
--   * every store stocks every product, with a large opening stock;
--   * ~2.5 lines an order (1–5, distinct products, quantity 1–5), about 1 in 20 orders
--     REJECTED, order ids in created_at order (one order every ~70 s over ~11 months);
--   * products skewed (low ids sell more), and product 1 is "hot": a line of ~90% of store 1's
--     orders (store 1 takes a quarter of all orders) and ~30% of every other store's, so the
--     old movements query, which reads a product's order lines in every store, meets 100k+ of
--     them, and the row (1, 1) has `hot_movements` movements with its adjustments;
--   * the quantities are those a real history would have left: each adjustment's
--     quantity_before/after and each confirmed line's quantity_available are the stock its row
--     held at that instant (opening stock plus every earlier movement, in the order migration
--     19 numbers them), and inventory.quantity is the opening stock plus all of them. So the
--     backfilled ledger can be checked against the adjustments' own records too.
-- Fixed randomness (setseed; no parallel plan evaluates random()), so the same variables give
-- the same rows.
\set ON_ERROR_STOP on
SELECT setseed(0.20261203);

BEGIN;

INSERT INTO categories (id, name)
SELECT i, 'Category ' || i FROM generate_series(1, 10) i;

-- Row triggers fill search_vector; the statement triggers keep out_of_stock_products,
-- product_titles and product_count.
INSERT INTO products (id, title, description, price, category_id, created_at)
SELECT i,
       CASE WHEN i = 1 THEN 'Carrier bag'
            ELSE (ARRAY['Organic', 'Fresh', 'Crunchy', 'Dark', 'Green', 'Sea salt', 'Vanilla',
                        'Smoked', 'Wholegrain', 'Spicy'])[1 + (i % 10)]
                 || ' ' || (ARRAY['tea', 'chocolate', 'chips', 'honey', 'coffee', 'rice', 'soap',
                                  'pasta', 'juice', 'cheese', 'biscuits', 'olives'])[1 + (i % 12)]
                 || ' ' || i
       END,
       NULL,
       round((0.5 + random() * 40)::numeric, 2),
       1 + (i % 10),
       timestamptz '2025-06-01 00:00:00+00' + i * interval '10 minutes'
FROM generate_series(1, :products) i;

INSERT INTO stores (id, name, location)
SELECT i, 'Store ' || i, 'Street ' || i FROM generate_series(1, :stores) i;

-- The plan of the orders: more candidates than needed, cut at exactly :order_lines lines.
CREATE TEMP TABLE plan_orders ON COMMIT DROP AS
SELECT id, store_id, status, created_at, with_hot, lines, start, stride,
       sum(lines) OVER (ORDER BY id) AS lines_through
FROM (
    SELECT id,
           CASE WHEN random() < 0.25 THEN 1 ELSE 2 + floor(random() * (:stores - 1))::int END
               AS store_id,
           CASE WHEN random() < 0.05 THEN 'REJECTED' ELSE 'CONFIRMED' END AS status,
           -- Strictly increasing: the jitter is below the step.
           timestamptz '2026-01-01 00:00:00+00' + id * interval '70 seconds'
               + random() * interval '60 seconds' AS created_at,
           random() AS hot_draw,
           -- Where its products start (skewed: low ids sell more) and the step between them.
           floor((:products - 1) * random() ^ 2)::bigint AS start,
           1 + floor(random() * ((:products - 2) / 5))::bigint AS stride,
           -- 1–5 lines: 30%, 25%, 20%, 15%, 10% (2.5 on average).
           (SELECT count(*) FROM unnest(ARRAY[0.30, 0.55, 0.75, 0.90]) b WHERE r >= b) + 1
               AS lines
    FROM (SELECT id, random() AS r FROM generate_series(1, (:order_lines / 2.5 * 1.1)::int) id) d
) o,
LATERAL (SELECT o.hot_draw < CASE WHEN o.store_id = 1 THEN 0.9 ELSE 0.3 END AS with_hot) h;
DELETE FROM plan_orders WHERE lines_through - lines >= :order_lines;

INSERT INTO orders (id, store_id, status, created_at)
SELECT id, store_id, status, created_at FROM plan_orders;

-- Lines: the hot product first when the order has it, then distinct products 2..N from the
-- order's start by its stride (j * stride < N - 1 for j <= 4, so no product repeats). (Drawn in
-- plan_orders: a LATERAL subquery that names no column of the order is evaluated only once.)
CREATE TEMP TABLE plan_lines ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY o.id, j) AS id, o.id AS order_id, o.store_id, o.status,
       o.created_at,
       CASE WHEN o.with_hot AND j = 0 THEN 1
            ELSE 2 + ((o.start + j * o.stride) % (:products - 1))
       END AS product_id,
       1 + floor(random() * 5)::int AS quantity, j
FROM plan_orders o,
     generate_series(0, (least(o.lines, :order_lines - (o.lines_through - o.lines)) - 1)::int) j;

-- Adjustments: enough on the hot row to bring it to :hot_movements, the rest spread over
-- every row (products skewed as orders are), at random instants of the same months.
CREATE TEMP TABLE plan_adjustments ON COMMIT DROP AS
WITH hot AS (
    SELECT :hot_movements - count(*) AS n FROM plan_lines
    WHERE store_id = 1 AND product_id = 1 AND status = 'CONFIRMED'
), span AS (
    SELECT min(created_at) AS first, max(created_at) - min(created_at) AS length FROM plan_orders
), rows AS (
    SELECT 1::bigint AS store_id, 1::bigint AS product_id FROM hot, generate_series(1, hot.n)
    UNION ALL
    -- (The hot row's count is exact: a draw of it here takes the next product instead.)
    SELECT store_id, CASE WHEN store_id = 1 AND product_id = 1 THEN 2 ELSE product_id END
    FROM (SELECT 1 + floor(random() * :stores)::bigint AS store_id,
                 1 + floor(:products * random() ^ 2)::bigint AS product_id
          FROM generate_series(1, greatest(:adjustments - (SELECT n FROM hot), 0))) spread
)
-- Ids in created_at order, as the identity column gave them.
SELECT row_number() OVER (ORDER BY created_at) AS id, store_id, product_id, created_at, reason,
       CASE reason
           WHEN 'restock' THEN 1 + floor(random() * 1000)::int
           WHEN 'damage' THEN -1 - floor(random() * 5)::int
           WHEN 'return' THEN 1 + floor(random() * 3)::int
           ELSE (CASE WHEN random() < 0.5 THEN -1 ELSE 1 END) * (1 + floor(random() * 10)::int)
       END AS delta
FROM (
    SELECT store_id, product_id,
           span.first + random() * span.length AS created_at,
           (ARRAY['restock', 'restock', 'restock', 'restock', 'restock', 'restock',
                  'damage', 'damage', 'correction', 'return'])[1 + floor(random() * 10)::int]
               AS reason
    FROM rows, span
) a;

-- The opening stock of every row, then every movement in migration 19's order (created_at,
-- adjustments before order lines of the same instant, then id): the stock each one saw.
CREATE TEMP TABLE opening ON COMMIT DROP AS
SELECT s.id AS store_id, p.id AS product_id, 500000 + floor(random() * 500000)::int AS quantity
FROM stores s CROSS JOIN products p;
ALTER TABLE opening ADD PRIMARY KEY (store_id, product_id);

CREATE TEMP TABLE seen ON COMMIT DROP AS
SELECT m.*, op.quantity + sum(m.delta) OVER (
           PARTITION BY m.store_id, m.product_id ORDER BY m.created_at, m.tier, m.tie
           ROWS UNBOUNDED PRECEDING) - m.delta AS before
FROM (
    SELECT store_id, product_id, created_at, 0 AS tier, id AS tie, delta, id AS ref
    FROM plan_adjustments
    UNION ALL
    SELECT store_id, product_id, created_at, 1, order_id, -quantity, id
    FROM plan_lines WHERE status = 'CONFIRMED'
) m JOIN opening op USING (store_id, product_id);

-- Stock through the statement triggers (out_of_stock_products); nothing is at zero.
INSERT INTO inventory (store_id, product_id, quantity)
SELECT op.store_id, op.product_id, op.quantity + coalesce(t.total, 0)
FROM opening op
LEFT JOIN (SELECT store_id, product_id, sum(delta) AS total FROM seen
           GROUP BY store_id, product_id) t USING (store_id, product_id);

-- The history itself: its rows' references are right by construction, so the foreign-key
-- triggers (a lookup per row, a minute at these sizes) are skipped for these inserts only.
SET LOCAL session_replication_role = replica;

INSERT INTO order_items (id, order_id, product_id, quantity_requested, quantity_available)
SELECT l.id, l.order_id, l.product_id, l.quantity,
       -- A rejected order records a line it could not fill (its first); the others the stock seen.
       CASE WHEN l.status = 'CONFIRMED' THEN s.before
            WHEN l.j = 0 THEN l.quantity - 1
            ELSE l.quantity
       END
FROM plan_lines l
LEFT JOIN seen s ON s.tier = 1 AND s.ref = l.id;

INSERT INTO stock_adjustments (id, store_id, product_id, delta, reason, note, quantity_before,
                               quantity_after, actor, created_at)
SELECT a.id, a.store_id, a.product_id, a.delta, a.reason, NULL, s.before, s.before + a.delta,
       'backroom-tablet-' || (1 + a.id % 7), a.created_at
FROM plan_adjustments a
JOIN seen s ON s.tier = 0 AND s.ref = a.id;

-- The outbox keeps a week of settled confirmations (OUTBOX_RETENTION): migration 18 builds an
-- index over it and 19 validates two of its constraints.
INSERT INTO outbox (kind, order_id, created_at, published_at, publish_count, completed_at)
SELECT 'order_confirmation', id, created_at, created_at + interval '20 ms', 1,
       created_at + interval '150 ms'
FROM plan_orders
WHERE status = 'CONFIRMED' AND created_at > (SELECT max(created_at) FROM plan_orders) - interval '7 days';

SET LOCAL session_replication_role = origin;

-- Explicit ids leave the identity sequences behind: what a server writes next must not collide.
SELECT setval(pg_get_serial_sequence('categories', 'id'), (SELECT max(id) FROM categories));
SELECT setval(pg_get_serial_sequence('products', 'id'), (SELECT max(id) FROM products));
SELECT setval(pg_get_serial_sequence('stores', 'id'), (SELECT max(id) FROM stores));
SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders));
SELECT setval(pg_get_serial_sequence('order_items', 'id'), (SELECT max(id) FROM order_items));
SELECT setval(pg_get_serial_sequence('stock_adjustments', 'id'), (SELECT max(id) FROM stock_adjustments));

COMMIT;
