//! [`BackofficeRepository`] on PostgreSQL: the console's reads.

use aforro_core::backoffice::{BackofficeRepository, InventoryBrowse, OrderCounts, StoreStock};
use aforro_core::catalogue::{Category, Store};
use aforro_core::inventory::InventoryItem;
use aforro_core::{CategoryId, Page, PageRequest, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;

use super::error::db_error;
use super::inventory::InventoryRow;
use super::orders::status;
use super::rows::{id, total};
use super::stock_browse;
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
struct CategoryChoice {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct StoreRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    location: String,
}

/// The stores a list keeps: `$1` the ids, or null for every store.
const STORES_FILTER: &str = "FROM stores WHERE $1::bigint[] IS NULL OR id = ANY ($1)";

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

fn raw_ids(stores: Option<Vec<StoreId>>) -> Option<Vec<i64>> {
    stores.map(|stores| stores.into_iter().map(StoreId::get).collect())
}

#[async_trait]
impl BackofficeRepository for Postgres {
    async fn store_stock(&self, stores: Option<Vec<StoreId>>, low_below: u32) -> Result<Vec<StoreStock>> {
        let (mut conn, _) = self.read_conn().await?;
        // The counts kept by quantity (migration 22): the folded counts plus the changes not
        // folded yet, read in one statement so that a fold running meanwhile is seen whole
        // or not at all.
        let rows: Vec<StoreStockRow> = diesel::sql_query(
            "SELECT s.id, s.name, s.location,
                    coalesce(sum(l.stock_rows) FILTER (WHERE l.quantity >= $2), 0)::bigint AS stocked,
                    coalesce(sum(l.stock_rows) FILTER (WHERE l.quantity > 0 AND l.quantity < $2), 0)::bigint AS low,
                    coalesce(sum(l.stock_rows) FILTER (WHERE l.quantity = 0), 0)::bigint AS out
             FROM stores s
             LEFT JOIN (
                 SELECT store_id, quantity, stock_rows FROM stock_level_counts
                 UNION ALL
                 SELECT store_id, quantity, stock_rows FROM stock_level_changes
             ) l ON l.store_id = s.id
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

    /// Two queries: the count (bounded: it stops at `count_limit + 1` rows), and the page.
    async fn browse_inventory(
        &self,
        store_id: StoreId,
        browse: &InventoryBrowse,
        page: PageRequest,
    ) -> Result<Page<InventoryItem>> {
        let (mut conn, _) = self.read_conn().await?;
        let browsed = stock_browse::browse(&mut conn, store_id, browse, page)
            .await
            .map_err(db_error)?;
        Ok(Page {
            items: browsed
                .rows
                .into_iter()
                .map(InventoryRow::into_item)
                .collect::<Result<_>>()?,
            total: total(browsed.counted)?,
            request: page,
        })
    }

    async fn category_choices(&self, limit: u32) -> Result<Vec<Category>> {
        let (mut conn, _) = self.read_conn().await?;
        let rows: Vec<CategoryChoice> =
            diesel::sql_query("SELECT id, name FROM categories ORDER BY lower(name), id LIMIT $1")
                .bind::<BigInt, _>(i64::from(limit))
                .load(&mut *conn)
                .await
                .map_err(db_error)?;
        rows.into_iter()
            .map(|row| {
                Ok(Category {
                    id: id(row.id, CategoryId::new)?,
                    name: row.name,
                })
            })
            .collect()
    }

    /// Two queries: the count, and the page.
    async fn list_stores(&self, stores: Option<Vec<StoreId>>, page: PageRequest) -> Result<Page<Store>> {
        let (mut conn, _) = self.read_conn().await?;
        let ids = raw_ids(stores);
        let count: Total = diesel::sql_query(format!("SELECT count(*) AS total {STORES_FILTER}"))
            .bind::<Nullable<Array<BigInt>>, _>(&ids)
            .get_result(&mut *conn)
            .await
            .map_err(db_error)?;
        let rows: Vec<StoreRow> = diesel::sql_query(format!(
            "SELECT id, name, location {STORES_FILTER} ORDER BY lower(name), id LIMIT $2 OFFSET $3"
        ))
        .bind::<Nullable<Array<BigInt>>, _>(&ids)
        .bind::<BigInt, _>(page.limit())
        .bind::<BigInt, _>(page.offset())
        .load(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(|row| {
                    Ok(Store {
                        id: id(row.id, StoreId::new)?,
                        name: row.name,
                        location: row.location,
                    })
                })
                .collect::<Result<_>>()?,
            total: total(count.total)?,
            request: page,
        })
    }
}
