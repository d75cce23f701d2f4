//! [`BackofficeRepository`] on PostgreSQL: the console's reads.

use aforro_core::backoffice::{
    BackofficeRepository, InventoryBrowse, InventorySort, OrderCounts, StockLevel, StoreStock,
};
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
use super::search::query::{like_escape, Sql};
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

/// Most words of a title filter that are matched (each one more is an index condition).
const MAX_TITLE_WORDS: usize = 8;

/// The rows a browse keeps, from `i`/`p`: the store, each word of the title (case-insensitive,
/// as a substring, on `lower(title)` so the trigram index can serve it) and the level. Every
/// value is bound, never formatted into the SQL.
///
/// `join` adds the products (as `p`); a filter on titles needs them. Without one, counting a
/// store's rows by level, or ordering them by quantity, needs the stock rows alone (measured
/// at 300,000 rows a store: the join made an unfiltered count 150 ms, and a page by quantity
/// sorted every joined row).
fn browse_filter<'a>(mut sql: Sql<'a>, store_id: StoreId, browse: &InventoryBrowse, join: bool) -> Sql<'a> {
    let join = join || browse.title.is_some();
    sql = sql
        .push(if join {
            " FROM inventory i JOIN products p ON p.id = i.product_id WHERE i.store_id = "
        } else {
            " FROM inventory i WHERE i.store_id = "
        })
        .param::<BigInt, _>(store_id.get());
    for word in browse
        .title
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .take(MAX_TITLE_WORDS)
    {
        sql = sql
            .push(" AND lower(p.title) LIKE ")
            .param::<Text, _>(format!("%{}%", like_escape(&word.to_lowercase())));
    }
    let low_below = i32::try_from(browse.low_below).unwrap_or(i32::MAX);
    match browse.level {
        StockLevel::All => sql,
        StockLevel::Low => sql
            .push(" AND i.quantity > 0 AND i.quantity < ")
            .param::<Integer, _>(low_below),
        StockLevel::Out => sql.push(" AND i.quantity = 0"),
    }
}

/// Every order ends with the product id, so pages are stable. Titles compare as the
/// `products_title_key_idx` index orders them (`lower(title) COLLATE "C"`), so a page by title
/// is a walk of that index.
fn order_by(sort: InventorySort) -> &'static str {
    match sort {
        InventorySort::Title => r#" ORDER BY lower(p.title) COLLATE "C", p.id"#,
        InventorySort::QuantityAscending => " ORDER BY i.quantity, i.product_id",
        InventorySort::QuantityDescending => " ORDER BY i.quantity DESC, i.product_id",
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

    /// Two queries: the count (bounded: it stops at `count_limit + 1` rows), and the page.
    async fn browse_inventory(
        &self,
        store_id: StoreId,
        browse: &InventoryBrowse,
        page: PageRequest,
    ) -> Result<Page<InventoryItem>> {
        let (mut conn, _) = self.read_conn().await?;
        let count_limit = i64::from(browse.count_limit);
        let count: Total = browse_filter(
            Sql::new("SELECT count(*) AS total FROM (SELECT 1"),
            store_id,
            browse,
            false,
        )
        .push(" LIMIT ")
        .param::<BigInt, _>(count_limit + 1)
        .push(") AS counted")
        .query
        .get_result(&mut *conn)
        .await
        .map_err(db_error)?;
        const COLUMNS: &str = "SELECT i.product_id, p.title, p.price,
                (SELECT c.name FROM categories c WHERE c.id = p.category_id) AS category_name,
                i.quantity";
        let rows: Vec<InventoryRow> = if browse.title.is_none() && browse.sort != InventorySort::Title {
            // By quantity, without words: the page is chosen from the stock rows alone, and
            // only its rows are joined to their products.
            browse_filter(
                Sql::new(&format!("{COLUMNS} FROM (SELECT i.product_id, i.quantity")),
                store_id,
                browse,
                false,
            )
            .push(order_by(browse.sort))
            .push(" LIMIT ")
            .param::<BigInt, _>(page.limit())
            .push(" OFFSET ")
            .param::<BigInt, _>(page.offset())
            .push(") i JOIN products p ON p.id = i.product_id")
            .push(order_by(browse.sort))
            .query
            .load(&mut *conn)
            .await
            .map_err(db_error)?
        } else {
            browse_filter(Sql::new(COLUMNS), store_id, browse, true)
                .push(order_by(browse.sort))
                .push(" LIMIT ")
                .param::<BigInt, _>(page.limit())
                .push(" OFFSET ")
                .param::<BigInt, _>(page.offset())
                .query
                .load(&mut *conn)
                .await
                .map_err(db_error)?
        };
        Ok(Page {
            items: rows
                .into_iter()
                .map(InventoryRow::into_item)
                .collect::<Result<_>>()?,
            total: total(count.total)?,
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
