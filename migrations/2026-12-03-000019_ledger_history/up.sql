-- squawk: its table locks block no reader or writer (below), and the rows with history wait for the
-- final UPDATE only (2.9–3.9 s for the hot row at 1,000,000 order lines, docs/ledger.md). The
-- backfill runs as long as the history is: 17–22 s there. Written before timeouts were checked.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- see above

-- The ledger's history before positions existed: every stock adjustment and every line of a
-- confirmed order, given positions per stock row in their recorded order (created_at, then
-- adjustments before order lines of the same instant, then id) — the order the movements list
-- showed until now.
--
-- Recorded order is not always lock order: before the ledger, an order's created_at was the
-- start of its transaction, taken before it waited for the row lock, so an order that waited
-- behind an adjustment is recorded before it. Order lines also recorded no quantities. So the
-- quantities of this history are computed back from each row's quantity now: an entry's
-- quantity_after is the row's quantity minus the deltas of every later entry. The history
-- therefore chains (each quantity_before is the previous quantity_after, the newest
-- quantity_after is the row's quantity); where an order had waited behind an adjustment, the
-- adjustment's own record (stock_adjustments, its 201 response) keeps the quantities it saw,
-- which may differ from its entry here. The first entry's quantity_before is the stock the row
-- held before any recorded movement (e.g. the seeder's).
--
-- Locks: reading the history takes ACCESS SHARE (writers go on); the inventory rows with a
-- history are row-locked only by the final UPDATE, for as long as it runs. Measured at 1M order
-- lines in docs/ledger.md. Run it with the old version's writers stopped: a change an old
-- server commits while this runs, or after it, has no movement (see docs/ledger.md).

INSERT INTO stock_movements (store_id, product_id, position, kind, delta, quantity_before,
                             quantity_after, adjustment_id, order_id, actor, created_at)
SELECT store_id, product_id, position, kind, delta,
       (quantity_after - delta)::integer, quantity_after::integer,
       adjustment_id, order_id, NULL, created_at
FROM (
    SELECT h.*,
           row_number() OVER row_history AS position,
           coalesce(i.quantity, 0) - sum(h.delta) OVER whole_row + sum(h.delta) OVER row_history
               AS quantity_after
    FROM (
        SELECT store_id, product_id, 'adjustment' AS kind, delta::bigint AS delta,
               id AS adjustment_id, NULL::bigint AS order_id, created_at, 0 AS tier, id AS tie
        FROM stock_adjustments
        UNION ALL
        SELECT o.store_id, oi.product_id, 'order', -oi.quantity_requested::bigint,
               NULL, o.id, o.created_at, 1, o.id
        FROM order_items oi JOIN orders o ON o.id = oi.order_id
        WHERE o.status = 'CONFIRMED'
    ) h
    LEFT JOIN inventory i ON i.store_id = h.store_id AND i.product_id = h.product_id
    WINDOW whole_row AS (PARTITION BY h.store_id, h.product_id),
           row_history AS (PARTITION BY h.store_id, h.product_id
                           ORDER BY h.created_at, h.tier, h.tie ROWS UNBOUNDED PRECEDING)
) numbered;

-- Each row's version is its newest position, so the next change takes the one after it.
UPDATE inventory i SET version = m.newest
FROM (SELECT store_id, product_id, max(position) AS newest
      FROM stock_movements GROUP BY store_id, product_id) m
WHERE i.store_id = m.store_id AND i.product_id = m.product_id;

-- Validating a CHECK takes SHARE UPDATE EXCLUSIVE: reads and writes go on while it scans.
ALTER TABLE orders VALIDATE CONSTRAINT orders_status_check_v2;
ALTER TABLE orders VALIDATE CONSTRAINT orders_cancelled_check;
ALTER TABLE outbox VALIDATE CONSTRAINT outbox_kind_check;
ALTER TABLE outbox VALIDATE CONSTRAINT outbox_order_check;
