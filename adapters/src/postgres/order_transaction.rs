//! [`OrderTransaction`] on PostgreSQL: one order in two round trips, on the transaction guard
//! of every keyed write ([`PgTransaction`], which also claims the order's idempotency key).
//!
//! Placing an order is one READ COMMITTED transaction on one connection:
//! 1. `BEGIN` pipelined with the first statement (one round trip): the idempotency-key claim
//!    when there is a key, else the lock below;
//! 2. the lock: `SELECT … FOR UPDATE` of the store's inventory rows of the ordered products in
//!    ascending product id (concurrent orders queue on the rows they share and never deadlock),
//!    returned with each product's title and whether the store exists;
//! 3. one statement: deduct (confirmed orders only) and write each line's ledger entry at its
//!    row's next position, insert the order, its lines, its confirmation job in the outbox,
//!    and the idempotency key's order id — failing, so that
//!    nothing of it stays, unless it deducted exactly one stock row per line;
//! 4. `COMMIT`, pipelined behind step 3 (one round trip) once step 3 is prepared on the
//!    connection (see [`super::transaction`]).
//!
//! `quantity >= 0` is also a CHECK constraint, so even a bug here could not oversell: the
//! statement would fail and the transaction roll back. `bench/order.sql` is this transaction as
//! plain SQL, for pgbench.

use aforro_core::orders::{NewOrder, OrderStatus, OrderTransaction, StockLine};
use aforro_core::{OrderId, ProductId, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text};
use diesel_async::RunQueryDsl;

use super::prepared::Prepared;
use super::rows::{count, id};
use super::transaction::{PgTransaction, ORDER_KEYS};
use crate::trace::current_trace_id;

#[async_trait]
impl OrderTransaction for PgTransaction<OrderId> {
    async fn lock_stock(
        &mut self,
        store_id: StoreId,
        product_ids: &[ProductId],
    ) -> Result<Option<Vec<StockLine>>> {
        let next = self.next()?;
        let mut query_conn = next.conn;
        // The CTE locks the rows (FOR UPDATE keeps Postgres from inlining it, and the join
        // reads all of it); ORDER BY below FOR UPDATE makes the lock order ascending product
        // id. The one-row `(SELECT)` on the left keeps a row, with the store's existence, even
        // when no product exists.
        let ids: Vec<i64> = product_ids.iter().map(|p| p.get()).collect();
        let query = Prepared::new(
            "WITH locked AS (
                 SELECT product_id, quantity FROM inventory
                 WHERE store_id = ",
        )
        .bind::<BigInt, _>(store_id.get())
        .sql(" AND product_id = ANY(")
        .bind::<Array<BigInt>, _>(ids.clone())
        .sql(
            ")
                 ORDER BY product_id
                 FOR UPDATE
             )
             SELECT EXISTS (SELECT 1 FROM stores WHERE id = ",
        )
        .bind::<BigInt, _>(store_id.get())
        .sql(
            ") AS store_exists, p.id, p.title, coalesce(locked.quantity, 0) AS quantity
             FROM (SELECT) AS one
             LEFT JOIN (products p LEFT JOIN locked ON locked.product_id = p.id)
                 ON p.id = ANY(",
        )
        .bind::<Array<BigInt>, _>(ids)
        .sql(")")
        .load::<LockedRow>(&mut query_conn);
        let rows = next.run(query).await?;
        if !<[LockedRow]>::first(&rows).is_some_and(|r| r.store_exists) {
            return Ok(None);
        }
        let mut lines = Vec::with_capacity(rows.len());
        for row in rows {
            if let (Some(product_id), Some(title)) = (row.id, row.title) {
                lines.push(StockLine {
                    product_id: id(product_id, ProductId::new)?,
                    title,
                    available: count(row.quantity)?,
                });
            }
        }
        Ok(Some(lines))
    }

    async fn commit_order<'a>(&mut self, order: NewOrder<'a>) -> Result<(OrderId, DateTime<Utc>)> {
        self.commit_with(store_order(&order)).await
    }
}

/// Step 3 as one statement. Lines keep the client's order (their ids are drawn in ORDINALITY
/// order, and GET /orders/{id}/ sorts by line id). Each deducted row's `version` goes up by
/// one and the line's ledger entry takes it as its position, with the quantities before and
/// after; the order's `created_at` is `clock_timestamp()`, taken here under the row locks, and
/// its ledger entries share it — so the ledger lists the order where it took the locks, even
/// when it waited for them. `aforro_check` (migration 7) fails the
/// statement unless it deducted one stock row per line of a confirmed order and none for a
/// rejected one — impossible while `lock_stock` holds the rows, and too late to check after a
/// pipelined `COMMIT`.
fn store_order(order: &NewOrder<'_>) -> Prepared<'static> {
    let ids: Vec<i64> = order.lines.iter().map(|l| l.product_id.get()).collect();
    let requested: Vec<i32> = order
        .lines
        .iter()
        .map(|l| l.quantity_requested.get() as i32)
        .collect();
    let available: Vec<i32> = order
        .lines
        .iter()
        .map(|l| i32::try_from(l.quantity_available).unwrap_or(i32::MAX))
        .collect();
    let deductions = if order.status == OrderStatus::Confirmed {
        order.lines.len() as i64
    } else {
        0
    };
    let query = Prepared::new(
        "WITH line AS (
             SELECT * FROM unnest(",
    )
    .bind::<Array<BigInt>, _>(ids)
    .sql("::bigint[], ")
    .bind::<Array<Integer>, _>(requested)
    .sql("::int[], ")
    .bind::<Array<Integer>, _>(available)
    .sql(
        "::int[]) WITH ORDINALITY AS l(product_id, requested, available, position)
         ), deducted AS (
             UPDATE inventory AS i
             SET quantity = i.quantity - line.requested, version = i.version + 1
             FROM line
             WHERE ",
    )
    .bind::<Bool, _>(order.status == OrderStatus::Confirmed)
    .sql(" AND i.store_id = ")
    .bind::<BigInt, _>(order.store_id.get())
    .sql(
        " AND i.product_id = line.product_id
             RETURNING i.store_id, i.product_id, i.quantity, i.version, line.requested
         ), new_order AS (
             INSERT INTO orders (store_id, status, created_at) VALUES (",
    )
    .bind::<BigInt, _>(order.store_id.get())
    .sql(", ")
    .bind::<Text, _>(order.status.as_str())
    .sql(
        ", clock_timestamp()) RETURNING id, created_at
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
             INSERT INTO outbox (kind, order_id, trace_id)
             SELECT 'order_confirmation', new_order.id, ",
    )
    // The request's trace id, so the worker logs it with the confirmation (see `trace`).
    .bind::<Nullable<Text>, _>(current_trace_id().map(|t| t.as_str().to_owned()))
    .sql(" FROM new_order WHERE ")
    .bind::<Bool, _>(order.send_confirmation);
    ORDER_KEYS
        .record(query, order.idempotency_key)
        .sql("aforro_check((SELECT count(*) FROM deducted) = ")
        .bind::<BigInt, _>(deductions)
        .sql(", 'the order deducted a different number of stock rows than it has lines')")
}

#[derive(QueryableByName)]
struct LockedRow {
    #[diesel(sql_type = Bool)]
    store_exists: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = Integer)]
    quantity: i32,
}
