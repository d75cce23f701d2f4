//! [`CancellationTransaction`] on PostgreSQL: one cancellation in one READ COMMITTED
//! transaction, on the transaction guard of every keyed write ([`PgTransaction`]).
//!
//! 1. `BEGIN`, pipelined with the first statement: the key's claim when there is a key;
//! 2. the order's lock: `SELECT … FOR NO KEY UPDATE` of the order row, with its lines. Two
//!    cancels of one order queue here, and the second sees the first's outcome (READ
//!    COMMITTED reads the row again once it has the lock). `NO KEY` leaves the foreign-key
//!    checks of rows that refer to the order (a confirmation email being recorded) unblocked;
//! 3. the stock rows' lock: `SELECT … ORDER BY product_id FOR UPDATE`, ascending product id,
//!    as an order takes them — so a cancel, an order and an adjustment only ever queue on each
//!    other, never deadlock (nothing locks an order row after stock rows);
//! 4. one statement: every line's units back to its row with a `cancellation` ledger entry at
//!    the row's next position, the order `CANCELLED`, the email's job in the outbox, the key
//!    recorded — failing unless it gave back exactly one row per line; then `COMMIT`.

use aforro_core::idempotency::IdempotencyKey;
use aforro_core::orders::{CancellationTransaction, NewCancellation, Order};
use aforro_core::{OrderId, ProductId, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::RunQueryDsl;

use super::orders::{assemble, OrderLineRow, ORDER_LINES, ORDER_WITH_LINES};
use super::prepared::Prepared;
use super::transaction::{PgTransaction, CANCELLATION_KEYS};
use crate::trace::current_trace_id;

#[async_trait]
impl CancellationTransaction for PgTransaction<OrderId> {
    async fn lock_order(&mut self, order_id: OrderId) -> Result<Option<Order>> {
        let next = self.next()?;
        let mut conn = next.conn;
        let query = diesel::sql_query(format!(
            "{ORDER_WITH_LINES}
             FROM (SELECT * FROM orders WHERE id = $1 FOR NO KEY UPDATE) o
             {ORDER_LINES}
             ORDER BY oi.id"
        ))
        .bind::<BigInt, _>(order_id.get())
        .load::<OrderLineRow>(&mut conn);
        let rows = next.run(query).await?;
        Ok(assemble(rows)?.pop())
    }

    async fn lock_stock_rows(&mut self, store_id: StoreId, product_ids: &[ProductId]) -> Result<()> {
        let next = self.next()?;
        let mut conn = next.conn;
        let ids: Vec<i64> = product_ids.iter().map(|p| p.get()).collect();
        let query = diesel::sql_query(
            "SELECT 1 FROM inventory WHERE store_id = $1 AND product_id = ANY($2)
             ORDER BY product_id
             FOR UPDATE",
        )
        .bind::<BigInt, _>(store_id.get())
        .bind::<Array<BigInt>, _>(ids)
        .execute(&mut conn);
        next.run(query).await?;
        Ok(())
    }

    async fn commit_cancellation<'a>(&mut self, new: NewCancellation<'a>) -> Result<DateTime<Utc>> {
        let (_, cancelled_at) = self.commit_with(give_back(&new)).await?;
        Ok(cancelled_at)
    }

    async fn commit_unchanged<'a>(
        &mut self,
        order_id: OrderId,
        key: Option<&'a IdempotencyKey>,
    ) -> Result<()> {
        let statement = Prepared::new(
            "WITH cancelled AS (
                 SELECT id, cancelled_at AS created_at FROM orders WHERE id = ",
        )
        .bind::<BigInt, _>(order_id.get());
        let statement = CANCELLATION_KEYS.record(statement, key).sql("true");
        self.commit_with(statement).await?;
        Ok(())
    }
}

/// Step 4 as one statement. `aforro_check` fails it unless every line found its (locked) row
/// and the order was still `CONFIRMED` — both certain while the locks are held.
fn give_back(new: &NewCancellation<'_>) -> Prepared<'static> {
    let ids: Vec<i64> = new.lines.iter().map(|(product, _)| product.get()).collect();
    let units: Vec<i32> = new
        .lines
        .iter()
        .map(|(_, units)| i32::try_from(*units).unwrap_or(i32::MAX))
        .collect();
    let query = Prepared::new(
        "WITH line AS (
             SELECT * FROM unnest(",
    )
    .bind::<Array<BigInt>, _>(ids)
    .sql("::bigint[], ")
    .bind::<Array<Integer>, _>(units)
    .sql(
        "::int[]) AS l(product_id, units)
         ), returned AS (
             UPDATE inventory AS i
             SET quantity = i.quantity + line.units, version = i.version + 1
             FROM line
             WHERE i.store_id = ",
    )
    .bind::<BigInt, _>(new.store_id.get())
    .sql(
        " AND i.product_id = line.product_id
             RETURNING i.store_id, i.product_id, i.quantity, i.version, line.units
         ), cancelled AS (
             UPDATE orders
             SET status = 'CANCELLED', cancelled_at = clock_timestamp(), cancelled_by = ",
    )
    .bind::<Text, _>(new.actor.to_owned())
    .sql(", cancellation_note = ")
    .bind::<Nullable<Text>, _>(new.note.map(str::to_owned))
    .sql(" WHERE id = ")
    .bind::<BigInt, _>(new.order_id.get())
    .sql(
        " AND status = 'CONFIRMED'
             RETURNING id, cancelled_at AS created_at, cancelled_by
         ), ledger AS (
             INSERT INTO stock_movements (store_id, product_id, position, kind, delta,
                                          quantity_before, quantity_after, order_id, actor,
                                          created_at)
             SELECT r.store_id, r.product_id, r.version, 'cancellation', r.units,
                    r.quantity - r.units, r.quantity, c.id, c.cancelled_by, c.created_at
             FROM returned r, cancelled c
         ), email AS (
             INSERT INTO outbox (kind, order_id, trace_id)
             SELECT 'order_cancellation', id, ",
    )
    // The request's trace id, so the worker logs it with the email (see `trace`).
    .bind::<Nullable<Text>, _>(current_trace_id().map(|t| t.as_str().to_owned()))
    .sql(" FROM cancelled");
    CANCELLATION_KEYS
        .record(query, new.idempotency_key)
        .sql("aforro_check((SELECT count(*) FROM returned) = ")
        .bind::<BigInt, _>(new.lines.len() as i64)
        .sql(", 'the cancellation gave back a different number of stock rows than the order has lines')")
}
