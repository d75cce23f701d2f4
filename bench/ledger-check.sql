-- Does the backfilled ledger chain? Run by scripts/bench-ledger after migration 19, on a
-- database no one wrote to since. One row per rule, each the number of rows breaking it, then
-- their sum (0 when the ledger is exact).
\set ON_ERROR_STOP on
CREATE TEMP VIEW ledger_violations AS
WITH chain AS (
    SELECT store_id, product_id, position, quantity_before,
           lag(position) OVER w AS previous_position,
           lag(quantity_after) OVER w AS previous_after
    FROM stock_movements
    WINDOW w AS (PARTITION BY store_id, product_id ORDER BY position)
), newest AS (
    SELECT DISTINCT ON (store_id, product_id) store_id, product_id, position, quantity_after
    FROM stock_movements
    ORDER BY store_id, product_id, position DESC
)
SELECT 'first position is not 1' AS rule,
       (SELECT count(*) FROM chain WHERE previous_position IS NULL AND position <> 1) AS rows
UNION ALL
SELECT 'position is not the previous + 1',
       (SELECT count(*) FROM chain WHERE previous_position IS NOT NULL
                                     AND position <> previous_position + 1)
UNION ALL
SELECT 'quantity_before is not the previous quantity_after',
       (SELECT count(*) FROM chain WHERE previous_after IS NOT NULL
                                     AND quantity_before <> previous_after)
UNION ALL
SELECT 'inventory.version is not the newest position (0 without movements)',
       (SELECT count(*) FROM inventory i LEFT JOIN newest n USING (store_id, product_id)
        WHERE i.version <> coalesce(n.position, 0))
UNION ALL
SELECT 'newest quantity_after is not inventory.quantity',
       (SELECT count(*) FROM inventory i JOIN newest n USING (store_id, product_id)
        WHERE n.quantity_after <> i.quantity)
UNION ALL
SELECT 'movements of no inventory row',
       (SELECT count(*) FROM newest n
        WHERE NOT EXISTS (SELECT 1 FROM inventory i
                          WHERE i.store_id = n.store_id AND i.product_id = n.product_id))
UNION ALL
-- Every adjustment and every line of a confirmed order, once each.
SELECT 'history entries without exactly one movement',
       (SELECT count(*) FROM (
            SELECT a.id FROM stock_adjustments a
            LEFT JOIN stock_movements m ON m.adjustment_id = a.id
            GROUP BY a.id HAVING count(m.position) <> 1
            UNION ALL
            SELECT oi.id FROM order_items oi JOIN orders o ON o.id = oi.order_id
            LEFT JOIN stock_movements m ON m.order_id = o.id AND m.store_id = o.store_id
                                       AND m.product_id = oi.product_id
            WHERE o.status = 'CONFIRMED'
            GROUP BY oi.id HAVING count(m.position) <> 1) missing);

\pset footer off
SELECT rule, rows AS violations FROM ledger_violations
UNION ALL
SELECT 'total', sum(rows) FROM ledger_violations;

-- Not a rule of the ledger: where recorded order was lock order (always, in generated data)
-- each adjustment's entry also carries the quantities of its own record.
SELECT count(*) AS "adjustments whose entry differs from their record (informative)"
FROM stock_adjustments a JOIN stock_movements m ON m.adjustment_id = a.id
WHERE (m.quantity_before, m.quantity_after) <> (a.quantity_before, a.quantity_after);
