//! [`SummaryRepository`] on PostgreSQL (table `inventory_summaries`, migrations 6 and 18).

use aforro_core::jobs::{InventorySummary, SummaryRepository};
use aforro_core::{Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Timestamptz};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

use super::error::db_error;
use super::rows::{count, id, total};
use super::Postgres;

#[derive(QueryableByName)]
struct SummaryRow {
    #[diesel(sql_type = BigInt)]
    store_id: i64,
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    product_count: i64,
    #[diesel(sql_type = BigInt)]
    total_units: i64,
    #[diesel(sql_type = BigInt)]
    items_at_zero: i64,
    #[diesel(sql_type = BigInt)]
    items_low_stock: i64,
    #[diesel(sql_type = Integer)]
    low_stock_threshold: i32,
    #[diesel(sql_type = BigInt)]
    orders_confirmed: i64,
    #[diesel(sql_type = BigInt)]
    orders_rejected: i64,
    #[diesel(sql_type = BigInt)]
    orders_cancelled: i64,
    #[diesel(sql_type = BigInt)]
    units_returned: i64,
    #[diesel(sql_type = Timestamptz)]
    computed_at: DateTime<Utc>,
}

impl SummaryRow {
    fn into_summary(self) -> Result<InventorySummary> {
        Ok(InventorySummary {
            store_id: id(self.store_id, StoreId::new)?,
            day: self.day,
            product_count: total(self.product_count)?,
            total_units: total(self.total_units)?,
            items_at_zero: total(self.items_at_zero)?,
            items_low_stock: total(self.items_low_stock)?,
            low_stock_threshold: count(self.low_stock_threshold)?,
            orders_confirmed: total(self.orders_confirmed)?,
            orders_rejected: total(self.orders_rejected)?,
            orders_cancelled: total(self.orders_cancelled)?,
            units_returned: total(self.units_returned)?,
            computed_at: self.computed_at,
        })
    }
}

const COLUMNS: &str = "store_id, day, product_count, total_units, items_at_zero, items_low_stock,
                       low_stock_threshold, orders_confirmed, orders_rejected, orders_cancelled,
                       units_returned, computed_at";

#[async_trait]
impl SummaryRepository for Postgres {
    async fn summarize_day(&self, day: NaiveDate, low_stock_threshold: u32) -> Result<Vec<InventorySummary>> {
        let mut conn = self.conn().await?;
        // One statement: every store (those without stock too), its stock now, its orders placed
        // on the UTC day and its orders cancelled on it; an earlier run's rows for the day are
        // replaced. Each order is counted on the day of the event (see `InventorySummary`): an
        // order placed and confirmed that day counts as confirmed whether or not it was
        // cancelled since, so a later cancellation does not rewrite the day. Both order scans
        // are ranges of an index on their timestamp: `orders_created_at_idx` (migration 6) and
        // the partial `orders_cancelled_at_idx` (migration 20), which holds cancelled orders
        // only; the units come from `order_items` by order (its unique (order_id, product_id)).
        let rows: Vec<SummaryRow> = diesel::sql_query(format!(
            "WITH stock AS (
                 SELECT s.id AS store_id,
                        count(i.product_id) AS product_count,
                        coalesce(sum(i.quantity), 0)::bigint AS total_units,
                        count(*) FILTER (WHERE i.quantity = 0) AS items_at_zero,
                        count(*) FILTER (WHERE i.quantity > 0 AND i.quantity < $2) AS items_low_stock
                 FROM stores s LEFT JOIN inventory i ON i.store_id = s.id
                 GROUP BY s.id
             ), day_orders AS (
                 SELECT store_id,
                        count(*) FILTER (WHERE status IN ('CONFIRMED', 'CANCELLED')) AS confirmed,
                        count(*) FILTER (WHERE status = 'REJECTED') AS rejected
                 FROM orders
                 WHERE created_at >= $1::timestamp AT TIME ZONE 'UTC'
                   AND created_at < ($1 + 1)::timestamp AT TIME ZONE 'UTC'
                 GROUP BY store_id
             ), day_cancellations AS (
                 SELECT o.store_id, count(*) AS cancelled, sum(line.units)::bigint AS returned
                 FROM orders o
                 CROSS JOIN LATERAL (
                     SELECT sum(quantity_requested) AS units FROM order_items WHERE order_id = o.id
                 ) line
                 WHERE o.cancelled_at >= $1::timestamp AT TIME ZONE 'UTC'
                   AND o.cancelled_at < ($1 + 1)::timestamp AT TIME ZONE 'UTC'
                 GROUP BY o.store_id
             )
             INSERT INTO inventory_summaries ({COLUMNS})
             SELECT stock.store_id, $1, product_count, total_units, items_at_zero, items_low_stock, $2,
                    coalesce(confirmed, 0), coalesce(rejected, 0), coalesce(cancelled, 0),
                    coalesce(returned, 0), now()
             FROM stock
             LEFT JOIN day_orders USING (store_id)
             LEFT JOIN day_cancellations USING (store_id)
             ON CONFLICT (store_id, day) DO UPDATE SET
                 product_count = EXCLUDED.product_count, total_units = EXCLUDED.total_units,
                 items_at_zero = EXCLUDED.items_at_zero, items_low_stock = EXCLUDED.items_low_stock,
                 low_stock_threshold = EXCLUDED.low_stock_threshold,
                 orders_confirmed = EXCLUDED.orders_confirmed, orders_rejected = EXCLUDED.orders_rejected,
                 orders_cancelled = EXCLUDED.orders_cancelled, units_returned = EXCLUDED.units_returned,
                 computed_at = EXCLUDED.computed_at
             RETURNING {COLUMNS}"
        ))
        .bind::<Date, _>(day)
        .bind::<Integer, _>(i32::try_from(low_stock_threshold).unwrap_or(i32::MAX))
        .load(&mut *conn)
        .await
        .map_err(db_error)?;
        let mut summaries = rows
            .into_iter()
            .map(SummaryRow::into_summary)
            .collect::<Result<Vec<_>>>()?;
        summaries.sort_by_key(|s| s.store_id);
        Ok(summaries)
    }

    async fn find_summary(
        &self,
        store_id: StoreId,
        day: Option<NaiveDate>,
    ) -> Result<Option<InventorySummary>> {
        let (mut conn, _) = self.read_conn().await?;
        let row: Option<SummaryRow> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM inventory_summaries
             WHERE store_id = $1 AND ($2::date IS NULL OR day = $2)
             ORDER BY day DESC LIMIT 1"
        ))
        .bind::<BigInt, _>(store_id.get())
        .bind::<Nullable<Date>, _>(day)
        .get_result(&mut *conn)
        .await
        .map(Some)
        .or_else(|e| match e {
            diesel::result::Error::NotFound => Ok(None),
            other => Err(db_error(other)),
        })?;
        row.map(SummaryRow::into_summary).transpose()
    }
}
