//! [`OrderRepository`] on PostgreSQL: starting an order's transaction (see
//! [`super::order_transaction`]) and reading orders back.

use aforro_core::orders::{
    Cancellation, CancellationTransaction, Order, OrderLine, OrderRepository, OrderStatus, OrderSummary,
    OrderTransaction, Quantity,
};
use aforro_core::{Error, OrderId, Page, PageRequest, ProductId, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;

use super::error::db_error;
use super::rows::{count, id, total};
use super::schema::orders;
use super::transaction::{CANCELLATION_KEYS, ORDER_KEYS};
use super::Postgres;

#[async_trait]
impl OrderRepository for Postgres {
    async fn begin(&self) -> Result<Box<dyn OrderTransaction>> {
        // BEGIN is not sent yet: it goes out with the transaction's first statement.
        Ok(self.keyed_transaction(&ORDER_KEYS, true).await?)
    }

    /// One query: the order joined with its lines and their products.
    async fn get_order(&self, order_id: OrderId) -> Result<Option<Order>> {
        Ok(self.get_orders(&[order_id]).await?.pop())
    }

    /// One query for all of them: the orders joined with their lines and their products.
    async fn get_orders(&self, ids: &[OrderId]) -> Result<Vec<Order>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let raw: Vec<i64> = ids.iter().map(|id| id.get()).collect();
        let rows: Vec<OrderLineRow> = diesel::sql_query(format!(
            "{ORDER_WITH_LINES} FROM orders o {ORDER_LINES} WHERE o.id = ANY($1) ORDER BY o.id, oi.id"
        ))
        .bind::<Array<BigInt>, _>(&raw)
        .load(&mut *self.read_conn().await?.0)
        .await
        .map_err(db_error)?;
        assemble(rows)
    }

    /// One query by primary key.
    async fn order_store(&self, order_id: OrderId) -> Result<Option<StoreId>> {
        let store: Option<i64> = orders::table
            .find(order_id.get())
            .select(orders::store_id)
            .first(&mut *self.read_conn().await?.0)
            .await
            .optional()
            .map_err(db_error)?;
        store.map(|raw| id(raw, StoreId::new)).transpose()
    }

    async fn begin_cancellation(&self) -> Result<Box<dyn CancellationTransaction>> {
        // Cancellations are rare: their COMMIT waits for their last statement's answer.
        Ok(self.keyed_transaction(&CANCELLATION_KEYS, false).await?)
    }

    /// Two queries: the count, and the page with each order's totals aggregated in SQL.
    async fn list_store_orders(&self, store_id: StoreId, page: PageRequest) -> Result<Page<OrderSummary>> {
        let (mut conn, _) = self.read_conn().await?;
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

/// The columns of an order with its lines, one row per line (see [`OrderLineRow`]); the query
/// goes on with the orders as `o`, then [`ORDER_LINES`].
pub(super) const ORDER_WITH_LINES: &str = "
    SELECT o.id, o.store_id, o.status, o.created_at,
           o.cancelled_at, o.cancelled_by, o.cancellation_note,
           oi.product_id, p.title, oi.quantity_requested, oi.quantity_available";

/// The joins from the orders `o` to their lines and the lines' products.
pub(super) const ORDER_LINES: &str = "
    JOIN order_items oi ON oi.order_id = o.id
    JOIN products p ON p.id = oi.product_id";

/// Orders from their lines' rows, sorted by order (then by line).
pub(super) fn assemble(rows: Vec<OrderLineRow>) -> Result<Vec<Order>> {
    rows.chunk_by(|a, b| a.id == b.id)
        .map(|lines| {
            let first = &lines[0];
            Ok(Order {
                id: id(first.id, OrderId::new)?,
                store_id: id(first.store_id, StoreId::new)?,
                status: status(&first.status)?,
                created_at: first.created_at,
                lines: lines.iter().map(OrderLineRow::line).collect::<Result<_>>()?,
                cancellation: first.cancellation(),
            })
        })
        .collect()
}

pub(super) fn status(raw: &str) -> Result<OrderStatus> {
    OrderStatus::parse(raw)
        .ok_or_else(|| Error::internal(format!("unknown order status {raw:?} in database")))
}

#[derive(QueryableByName)]
pub(super) struct OrderLineRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    store_id: i64,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    cancelled_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    cancelled_by: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    cancellation_note: Option<String>,
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
    /// Set together with status `CANCELLED` (a CHECK of migration 18).
    fn cancellation(&self) -> Option<Cancellation> {
        Some(Cancellation {
            cancelled_at: self.cancelled_at?,
            cancelled_by: self.cancelled_by.clone()?,
            note: self.cancellation_note.clone(),
        })
    }

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
