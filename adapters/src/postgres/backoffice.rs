//! [`BackofficeRepository`] on PostgreSQL: the console's reads.

use aforro_core::backoffice::{
    BackofficeRepository, InventoryBrowse, InventorySort, OrderCounts, StockLevel, StoreStock,
};
use aforro_core::inventory::InventoryItem;
use aforro_core::{Page, PageRequest, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;

use super::error::db_error;
use super::inventory::InventoryRow;
use super::orders::status;
use super::rows::{id, total};
use super::Postgres;

#[derive(QueryableByName)]
struct StoreStockRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    location: String,
    #[diesel(sql_type = BigInt)]
    stocked: i64,
    #[diesel(sql_type = BigInt)]
    low: i64,
    #[diesel(sql_type = BigInt)]
    out: i64,
}

#[derive(QueryableByName)]
struct StatusCount {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

fn raw_ids(stores: Option<Vec<StoreId>>) -> Option<Vec<i64>> {
    stores.map(|stores| stores.into_iter().map(StoreId::get).collect())
}

/// `%word%` for each word of the title filter, with LIKE's own characters escaped (a `%` typed
/// into the search box matches a `%`).
fn title_patterns(title: Option<&str>) -> Vec<String> {
    title
        .unwrap_or_default()
        .split_whitespace()
        .map(|word| {
            let escaped = word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        })
        .collect()
}

/// The rows a browse keeps. `$1` store, `$2` title patterns (every one must match), `$3` level,
/// `$4` the low threshold. Fixed text: only the bound values vary.
const BROWSE_FILTER: &str = "FROM inventory i
     JOIN products p ON p.id = i.product_id
     WHERE i.store_id = $1
       AND p.title ILIKE ALL ($2)
       AND CASE $3 WHEN 'low' THEN i.quantity > 0 AND i.quantity < $4
                   WHEN 'out' THEN i.quantity = 0
                   ELSE true END";

fn order_by(sort: InventorySort) -> &'static str {
    match sort {
        InventorySort::Title => "lower(p.title), p.id",
        InventorySort::QuantityAscending => "i.quantity, lower(p.title), p.id",
        InventorySort::QuantityDescending => "i.quantity DESC, lower(p.title), p.id",
    }
}

#[async_trait]
impl BackofficeRepository for Postgres {
    async fn store_stock(&self, stores: Option<Vec<StoreId>>, low_below: u32) -> Result<Vec<StoreStock>> {
        let (mut conn, _) = self.read_conn().await?;
        let rows: Vec<StoreStockRow> = diesel::sql_query(
            "SELECT s.id, s.name, s.location,
                    count(i.product_id) FILTER (WHERE i.quantity >= $2) AS stocked,
                    count(i.product_id) FILTER (WHERE i.quantity > 0 AND i.quantity < $2) AS low,
                    count(i.product_id) FILTER (WHERE i.quantity = 0) AS out
             FROM stores s
             LEFT JOIN inventory i ON i.store_id = s.id
             WHERE $1::bigint[] IS NULL OR s.id = ANY ($1)
             GROUP BY s.id
             ORDER BY s.name, s.id",
        )
        .bind::<Nullable<Array<BigInt>>, _>(raw_ids(stores))
        .bind::<Integer, _>(i32::try_from(low_below).unwrap_or(i32::MAX))
        .load(&mut *conn)
        .await
        .map_err(db_error)?;
        rows.into_iter()
            .map(|row| {
                Ok(StoreStock {
                    store_id: id(row.id, StoreId::new)?,
                    name: row.name,
                    location: row.location,
                    stocked: total(row.stocked)?,
                    low: total(row.low)?,
                    out: total(row.out)?,
                })
            })
            .collect()
    }

    async fn order_counts(&self, since: DateTime<Utc>, stores: Option<Vec<StoreId>>) -> Result<OrderCounts> {
        let (mut conn, _) = self.read_conn().await?;
        let rows: Vec<StatusCount> = diesel::sql_query(
            "SELECT status, count(*) AS count
             FROM orders
             WHERE created_at >= $1 AND ($2::bigint[] IS NULL OR store_id = ANY ($2))
             GROUP BY status",
        )
        .bind::<Timestamptz, _>(since)
        .bind::<Nullable<Array<BigInt>>, _>(raw_ids(stores))
        .load(&mut *conn)
        .await
        .map_err(db_error)?;
        let mut counts = OrderCounts::default();
        for row in rows {
            counts.add(status(&row.status)?, total(row.count)?);
        }
        Ok(counts)
    }

    /// Two queries: the count, and the page.
    async fn browse_inventory(
        &self,
        store_id: StoreId,
        browse: &InventoryBrowse,
        page: PageRequest,
    ) -> Result<Page<InventoryItem>> {
        let (mut conn, _) = self.read_conn().await?;
        let patterns = title_patterns(browse.title.as_deref());
        let level = match browse.level {
            StockLevel::All => "all",
            StockLevel::Low => "low",
            StockLevel::Out => "out",
        };
        let low_below = i32::try_from(browse.low_below).unwrap_or(i32::MAX);
        let count: Total = diesel::sql_query(format!("SELECT count(*) AS total {BROWSE_FILTER}"))
            .bind::<BigInt, _>(store_id.get())
            .bind::<Array<Text>, _>(&patterns)
            .bind::<Text, _>(level)
            .bind::<Integer, _>(low_below)
            .get_result(&mut *conn)
            .await
            .map_err(db_error)?;
        let rows: Vec<InventoryRow> = diesel::sql_query(format!(
            "SELECT i.product_id, p.title, p.price,
                    (SELECT c.name FROM categories c WHERE c.id = p.category_id) AS category_name,
                    i.quantity
             {BROWSE_FILTER}
             ORDER BY {}
             LIMIT $5 OFFSET $6",
            order_by(browse.sort)
        ))
        .bind::<BigInt, _>(store_id.get())
        .bind::<Array<Text>, _>(&patterns)
        .bind::<Text, _>(level)
        .bind::<Integer, _>(low_below)
        .bind::<BigInt, _>(page.limit())
        .bind::<BigInt, _>(page.offset())
        .load(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(InventoryRow::into_item)
                .collect::<Result<_>>()?,
            total: total(count.total)?,
            request: page,
        })
    }
}
