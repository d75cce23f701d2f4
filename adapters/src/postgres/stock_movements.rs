//! [`StockMovementRepository`] on PostgreSQL: a stock row's adjustments and confirmed order
//! lines, in one list.

use aforro_core::inventory::{StockMovement, StockMovementRepository, StockTargets};
use aforro_core::{Error, OrderId, Page, PageRequest, ProductId, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

use super::error::db_error;
use super::rows::{id, total};
use super::stock_adjustment::AdjustmentRow;
use super::Postgres;

/// Both kinds of movement as one relation. `kind` sorts adjustments before order lines of the
/// same instant (`'adjustment' < 'order'`); the order's id stands for its line, as an order has
/// at most one line per product. Adjustments are read through their (store, product,
/// created_at DESC, id DESC) index; order lines through `order_items (product_id)`.
const MOVEMENTS: &str = "
    SELECT 'adjustment' AS kind, id, store_id, product_id, delta, reason, note,
           quantity_before, quantity_after, actor, created_at
    FROM stock_adjustments WHERE store_id = $1 AND product_id = $2
    UNION ALL
    SELECT 'order', o.id, o.store_id, oi.product_id, -oi.quantity_requested, NULL, NULL,
           NULL, NULL, NULL, o.created_at
    FROM order_items oi JOIN orders o ON o.id = oi.order_id
    WHERE oi.product_id = $2 AND o.store_id = $1 AND o.status = 'CONFIRMED'";

#[async_trait]
impl StockMovementRepository for Postgres {
    /// One query.
    async fn stock_targets(&self, store_id: StoreId, product_id: ProductId) -> Result<StockTargets> {
        let row: TargetsRow = diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM stores WHERE id = $1) AS store_exists,
                    EXISTS (SELECT 1 FROM products WHERE id = $2) AS product_exists",
        )
        .bind::<BigInt, _>(store_id.get())
        .bind::<BigInt, _>(product_id.get())
        .get_result(&mut *self.conn().await?)
        .await
        .map_err(db_error)?;
        Ok(StockTargets {
            store_exists: row.store_exists,
            product_exists: row.product_exists,
        })
    }

    /// Two queries: the count, and the page.
    async fn list_movements(
        &self,
        store_id: StoreId,
        product_id: ProductId,
        page: PageRequest,
    ) -> Result<Page<StockMovement>> {
        let mut conn = self.conn().await?;
        let counted: Count = diesel::sql_query(format!("SELECT count(*) AS n FROM ({MOVEMENTS}) m"))
            .bind::<BigInt, _>(store_id.get())
            .bind::<BigInt, _>(product_id.get())
            .get_result(&mut *conn)
            .await
            .map_err(db_error)?;
        let rows: Vec<MovementRow> = diesel::sql_query(format!(
            "SELECT * FROM ({MOVEMENTS}) m
             ORDER BY created_at DESC, kind, id DESC
             LIMIT $3 OFFSET $4"
        ))
        .bind::<BigInt, _>(store_id.get())
        .bind::<BigInt, _>(product_id.get())
        .bind::<BigInt, _>(page.limit())
        .bind::<BigInt, _>(page.offset())
        .load(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(MovementRow::into_movement)
                .collect::<Result<_>>()?,
            total: total(counted.n)?,
            request: page,
        })
    }
}

#[derive(QueryableByName)]
struct TargetsRow {
    #[diesel(sql_type = Bool)]
    store_exists: bool,
    #[diesel(sql_type = Bool)]
    product_exists: bool,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct MovementRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    store_id: i64,
    #[diesel(sql_type = BigInt)]
    product_id: i64,
    #[diesel(sql_type = Integer)]
    delta: i32,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    note: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    quantity_before: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    quantity_after: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    actor: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

impl MovementRow {
    fn into_movement(self) -> Result<StockMovement> {
        match (
            self.kind.as_str(),
            self.reason,
            self.quantity_before,
            self.quantity_after,
            self.actor,
        ) {
            ("order", ..) => Ok(StockMovement::Order {
                order_id: id(self.id, OrderId::new)?,
                delta: i64::from(self.delta),
                created_at: self.created_at,
            }),
            ("adjustment", Some(reason), Some(quantity_before), Some(quantity_after), Some(actor)) => {
                AdjustmentRow {
                    id: self.id,
                    store_id: self.store_id,
                    product_id: self.product_id,
                    delta: self.delta,
                    reason,
                    note: self.note,
                    quantity_before,
                    quantity_after,
                    actor,
                    created_at: self.created_at,
                }
                .into_adjustment()
                .map(StockMovement::Adjustment)
            }
            (kind, ..) => Err(Error::internal(format!(
                "movement {} of unknown shape {kind:?}",
                self.id
            ))),
        }
    }
}
