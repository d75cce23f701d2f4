//! [`StockMovementRepository`] on PostgreSQL: a stock row's ledger (`stock_movements`,
//! migration 18), read by position.

use aforro_core::inventory::{
    AdjustmentId, AdjustmentReason, MovementCause, StockMovement, StockMovementRepository, StockTargets,
};
use aforro_core::{Error, OrderId, Page, PageRequest, ProductId, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

use super::error::db_error;
use super::rows::{count, id, total};
use super::Postgres;

/// A page of one row's movements, newest first, and the row's newest position in one query.
///
/// Positions run 1..=newest without gaps (each change takes the next one under the row's lock),
/// so the newest position is the count, and page k starts at position `newest − offset`: the
/// page is one backward range of the primary key (store_id, product_id, position), however
/// deep, and however many other rows — in this store or others — the product has movements in.
/// The LEFT JOIN LATERAL keeps the one `newest` row when the page is empty.
const PAGE: &str = "
    WITH newest AS (
        SELECT coalesce(max(position), 0) AS newest
        FROM stock_movements WHERE store_id = $1 AND product_id = $2
    )
    SELECT newest.newest, m.*
    FROM newest LEFT JOIN LATERAL (
        SELECT m.position, m.kind, m.delta, m.quantity_before, m.quantity_after, m.created_at,
               m.adjustment_id, m.order_id, coalesce(a.actor, m.actor) AS actor, a.reason, a.note
        FROM stock_movements m
        LEFT JOIN stock_adjustments a ON a.id = m.adjustment_id
        WHERE m.store_id = $1 AND m.product_id = $2 AND m.position <= newest.newest - $4
        ORDER BY m.position DESC
        LIMIT $3
    ) m ON true
    ORDER BY m.position DESC";

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

    /// One query (see `PAGE`).
    async fn list_movements(
        &self,
        store_id: StoreId,
        product_id: ProductId,
        page: PageRequest,
    ) -> Result<Page<StockMovement>> {
        let rows: Vec<MovementRow> = diesel::sql_query(PAGE)
            .bind::<BigInt, _>(store_id.get())
            .bind::<BigInt, _>(product_id.get())
            .bind::<BigInt, _>(page.limit())
            .bind::<BigInt, _>(page.offset())
            .load(&mut *self.conn().await?)
            .await
            .map_err(db_error)?;
        let newest = <[MovementRow]>::first(&rows).map_or(0, |row| row.newest);
        Ok(Page {
            items: rows
                .into_iter()
                .filter(|row| row.position.is_some())
                .map(MovementRow::into_movement)
                .collect::<Result<_>>()?,
            total: total(newest)?,
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

/// A row of [`PAGE`]: the newest position, and a movement (all `None` on an empty page).
#[derive(QueryableByName)]
struct MovementRow {
    #[diesel(sql_type = BigInt)]
    newest: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    position: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    kind: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    delta: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    quantity_before: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    quantity_after: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    created_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<BigInt>)]
    adjustment_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    order_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    actor: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    note: Option<String>,
}

impl MovementRow {
    fn into_movement(self) -> Result<StockMovement> {
        let position = self.position.unwrap_or_default();
        let malformed = || Error::internal(format!("stock movement at position {position} is malformed"));
        let cause = match (
            self.kind.as_deref(),
            self.adjustment_id,
            self.order_id,
            self.actor,
        ) {
            (Some("adjustment"), Some(adjustment_id), None, Some(actor)) => MovementCause::Adjustment {
                id: id(adjustment_id, AdjustmentId::new)?,
                reason: self
                    .reason
                    .as_deref()
                    .and_then(AdjustmentReason::parse)
                    .ok_or_else(malformed)?,
                note: self.note,
                actor,
            },
            (Some("order"), None, Some(order_id), _) => MovementCause::Order {
                order_id: id(order_id, OrderId::new)?,
            },
            (Some("cancellation"), None, Some(order_id), Some(actor)) => MovementCause::Cancellation {
                order_id: id(order_id, OrderId::new)?,
                actor,
            },
            _ => return Err(malformed()),
        };
        Ok(StockMovement {
            position: total(position)?,
            delta: i64::from(self.delta.ok_or_else(malformed)?),
            quantity_before: count(self.quantity_before.ok_or_else(malformed)?)?,
            quantity_after: count(self.quantity_after.ok_or_else(malformed)?)?,
            created_at: self.created_at.ok_or_else(malformed)?,
            cause,
        })
    }
}
