//! [`OrderRepository`] and [`OrderTransaction`] on PostgreSQL.
//!
//! Placing an order is one READ COMMITTED transaction on one connection, in this order:
//! claim the idempotency key (optional) → does the store exist → `lock_stock`
//! (`SELECT … FOR UPDATE` of the store's inventory rows in ascending product id, so concurrent
//! orders queue on the rows they share and never deadlock) → deduct (only when confirmed) →
//! insert the order and its lines → COMMIT. `quantity >= 0` is also a CHECK constraint, so even
//! a bug here could not oversell: the statement would fail and the transaction roll back.

use aforro_core::orders::{
    KeyClaim, NewOrder, Order, OrderLine, OrderRepository, OrderStatus, OrderSummary, OrderTransaction,
    Quantity, StockLine, ValidatedLine,
};
use aforro_core::{Error, OrderId, Page, PageRequest, ProductId, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Text, Timestamptz};
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};

use super::error::db_error;
use super::prepared::Prepared;
use super::rows::{count, id, total};
use super::schema::{idempotency_keys, orders};
use super::Postgres;

#[async_trait]
impl OrderRepository for Postgres {
    async fn begin(&self) -> Result<Box<dyn OrderTransaction>> {
        let mut conn = self.conn().await?;
        AnsiTransactionManager::begin_transaction(&mut *conn)
            .await
            .map_err(db_error)?;
        Ok(Box::new(PgOrderTransaction { conn }))
    }

    /// One query: the order joined with its lines and their products.
    async fn get_order(&self, order_id: OrderId) -> Result<Option<Order>> {
        let rows: Vec<OrderLineRow> = diesel::sql_query(
            "SELECT o.id, o.store_id, o.status, o.created_at,
                    oi.product_id, p.title, oi.quantity_requested, oi.quantity_available
             FROM orders o
             JOIN order_items oi ON oi.order_id = o.id
             JOIN products p ON p.id = oi.product_id
             WHERE o.id = $1
             ORDER BY oi.id",
        )
        .bind::<BigInt, _>(order_id.get())
        .load(&mut *self.conn().await?)
        .await
        .map_err(db_error)?;
        let Some(first) = <[OrderLineRow]>::first(&rows) else {
            return Ok(None);
        };
        let order = Order {
            id: id(first.id, OrderId::new)?,
            store_id: id(first.store_id, StoreId::new)?,
            status: status(&first.status)?,
            created_at: first.created_at,
            lines: rows.iter().map(OrderLineRow::line).collect::<Result<_>>()?,
        };
        Ok(Some(order))
    }

    /// Two queries: the count, and the page with each order's totals aggregated in SQL.
    async fn list_store_orders(&self, store_id: StoreId, page: PageRequest) -> Result<Page<OrderSummary>> {
        let mut conn = self.conn().await?;
        let count_all: i64 = orders::table
            .filter(orders::store_id.eq(store_id.get()))
            .count()
            .get_result(&mut *conn)
            .await
            .map_err(db_error)?;
        let rows: Vec<OrderSummaryRow> = diesel::sql_query(
            "SELECT o.id, o.status, o.created_at,
                    count(oi.id) AS total_items,
                    coalesce(sum(oi.quantity_requested), 0)::bigint AS total_quantity
             FROM (SELECT id, status, created_at FROM orders
                   WHERE store_id = $1
                   ORDER BY created_at DESC, id DESC
                   LIMIT $2 OFFSET $3) o
             LEFT JOIN order_items oi ON oi.order_id = o.id
             GROUP BY o.id, o.status, o.created_at
             ORDER BY o.created_at DESC, o.id DESC",
        )
        .bind::<BigInt, _>(store_id.get())
        .bind::<BigInt, _>(page.limit())
        .bind::<BigInt, _>(page.offset())
        .load(&mut *conn)
        .await
        .map_err(db_error)?;
        let items = rows
            .into_iter()
            .map(|r| {
                Ok(OrderSummary {
                    id: id(r.id, OrderId::new)?,
                    status: status(&r.status)?,
                    created_at: r.created_at,
                    total_items: u32::try_from(r.total_items)
                        .map_err(|_| Error::internal("order line count out of range"))?,
                    total_quantity: total(r.total_quantity)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Page {
            items,
            total: total(count_all)?,
            request: page,
        })
    }
}

/// A pooled connection with an open transaction. Dropped without commit or rollback (a panic,
/// a cancelled request), the pool sees the open transaction and discards the connection, which
/// makes Postgres roll it back.
struct PgOrderTransaction {
    conn: Object<AsyncPgConnection>,
}

#[async_trait]
impl OrderTransaction for PgOrderTransaction {
    async fn claim_idempotency_key(
        &mut self,
        key: &aforro_core::orders::IdempotencyKey,
        fingerprint: &str,
    ) -> Result<KeyClaim> {
        // Waits for a concurrent transaction holding the same key; after it commits this
        // inserts nothing and the SELECT below sees its row, after it rolls back this inserts.
        let inserted = diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::key.eq(key.as_str()),
                idempotency_keys::fingerprint.eq(fingerprint),
            ))
            .on_conflict_do_nothing()
            .execute(&mut *self.conn)
            .await
            .map_err(db_error)?;
        if inserted == 1 {
            return Ok(KeyClaim::Claimed);
        }
        let (fingerprint, order_id): (String, Option<i64>) = idempotency_keys::table
            .find(key.as_str())
            .select((idempotency_keys::fingerprint, idempotency_keys::order_id))
            .get_result(&mut *self.conn)
            .await
            .map_err(db_error)?;
        let order_id =
            order_id.ok_or_else(|| Error::internal("idempotency key committed without an order"))?;
        Ok(KeyClaim::Existing {
            fingerprint,
            order_id: id(order_id, OrderId::new)?,
        })
    }

    async fn attach_order_to_key(
        &mut self,
        key: &aforro_core::orders::IdempotencyKey,
        order_id: OrderId,
    ) -> Result<()> {
        diesel::update(idempotency_keys::table.find(key.as_str()))
            .set(idempotency_keys::order_id.eq(order_id.get()))
            .execute(&mut *self.conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn store_exists(&mut self, store_id: StoreId) -> Result<bool> {
        super::stores::store_exists(&mut self.conn, store_id).await
    }

    async fn lock_stock(&mut self, store_id: StoreId, product_ids: &[ProductId]) -> Result<Vec<StockLine>> {
        // The CTE locks the rows (it has a side effect, so Postgres runs it in full and does not
        // inline it); ORDER BY below FOR UPDATE makes the lock order ascending product id.
        // Products the store has no row for come back with 0; unknown products do not come back.
        let ids: Vec<i64> = product_ids.iter().map(|p| p.get()).collect();
        let rows: Vec<StockRow> = Prepared::new(
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
             SELECT p.id, p.title, coalesce(locked.quantity, 0) AS quantity
             FROM products p LEFT JOIN locked ON locked.product_id = p.id
             WHERE p.id = ANY(",
        )
        .bind::<Array<BigInt>, _>(ids)
        .sql(")")
        .load(&mut *self.conn)
        .await
        .map_err(db_error)?;
        rows.into_iter()
            .map(|r| {
                Ok(StockLine {
                    product_id: id(r.id, ProductId::new)?,
                    title: r.title,
                    available: count(r.quantity)?,
                })
            })
            .collect()
    }

    async fn deduct_stock(&mut self, store_id: StoreId, lines: &[ValidatedLine]) -> Result<()> {
        let ids: Vec<i64> = lines.iter().map(|l| l.product_id.get()).collect();
        let quantities: Vec<i32> = lines.iter().map(|l| l.quantity.get() as i32).collect();
        let updated = Prepared::new(
            "UPDATE inventory AS i SET quantity = i.quantity - d.quantity
             FROM unnest(",
        )
        .bind::<Array<BigInt>, _>(ids)
        .sql("::bigint[], ")
        .bind::<Array<Integer>, _>(quantities)
        .sql("::int[]) AS d(product_id, quantity) WHERE i.store_id = ")
        .bind::<BigInt, _>(store_id.get())
        .sql(" AND i.product_id = d.product_id")
        .execute(&mut *self.conn)
        .await
        .map_err(db_error)?;
        if updated != lines.len() {
            return Err(Error::internal(format!(
                "deducted {updated} of {} inventory rows",
                lines.len()
            )));
        }
        Ok(())
    }

    async fn insert_order<'a>(&mut self, order: NewOrder<'a>) -> Result<(OrderId, DateTime<Utc>)> {
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
        // One statement for the order, all its lines and — when confirmed — its confirmation
        // job in the outbox (same transaction: committed together or not at all). Lines keep
        // the client's order (their ids are drawn in ORDINALITY order, and GET /orders/{id}/
        // sorts by line id).
        let row: InsertedOrder =
            Prepared::new("WITH new_order AS (INSERT INTO orders (store_id, status) VALUES (")
                .bind::<BigInt, _>(order.store_id.get())
                .sql(", ")
                .bind::<Text, _>(order.status.as_str())
                .sql(
                    ") RETURNING id, created_at
                 ), new_lines AS (
                     INSERT INTO order_items (order_id, product_id, quantity_requested, quantity_available)
                     SELECT new_order.id, l.product_id, l.requested, l.available
                     FROM new_order, unnest(",
                )
                .bind::<Array<BigInt>, _>(ids)
                .sql("::bigint[], ")
                .bind::<Array<Integer>, _>(requested)
                .sql("::int[], ")
                .bind::<Array<Integer>, _>(available)
                .sql(
                    "::int[]) WITH ORDINALITY AS l(product_id, requested, available, position)
                     ORDER BY l.position
                 ), confirmation AS (
                     INSERT INTO outbox (kind, order_id)
                     SELECT 'order_confirmation', new_order.id FROM new_order WHERE ",
                )
                .bind::<Bool, _>(order.send_confirmation)
                .sql(
                    "
                 )
                 SELECT id, created_at FROM new_order",
                )
                .get_result(&mut *self.conn)
                .await
                .map_err(db_error)?;
        Ok((id(row.id, OrderId::new)?, row.created_at))
    }

    async fn commit(&mut self) -> Result<()> {
        AnsiTransactionManager::commit_transaction(&mut *self.conn)
            .await
            .map_err(db_error)
    }

    async fn rollback(&mut self) -> Result<()> {
        AnsiTransactionManager::rollback_transaction(&mut *self.conn)
            .await
            .map_err(db_error)
    }
}

fn status(raw: &str) -> Result<OrderStatus> {
    OrderStatus::parse(raw)
        .ok_or_else(|| Error::internal(format!("unknown order status {raw:?} in database")))
}

#[derive(QueryableByName)]
struct StockRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Integer)]
    quantity: i32,
}

#[derive(QueryableByName)]
struct InsertedOrder {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct OrderLineRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    store_id: i64,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    product_id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Integer)]
    quantity_requested: i32,
    #[diesel(sql_type = Integer)]
    quantity_available: i32,
}

impl OrderLineRow {
    fn line(&self) -> Result<OrderLine> {
        Ok(OrderLine {
            product_id: id(self.product_id, ProductId::new)?,
            product_title: self.title.clone(),
            quantity_requested: Quantity::new(i64::from(self.quantity_requested))
                .ok_or_else(|| Error::internal("stored quantity_requested out of range"))?,
            quantity_available: count(self.quantity_available)?,
        })
    }
}

#[derive(QueryableByName)]
struct OrderSummaryRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    total_items: i64,
    #[diesel(sql_type = BigInt)]
    total_quantity: i64,
}
