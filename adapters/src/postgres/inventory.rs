//! [`InventoryRepository`] on PostgreSQL.

use aforro_core::inventory::{InventoryItem, InventoryRepository};
use aforro_core::{Page, PageRequest, ProductId, Result, StoreId};
use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Numeric, Text};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;

use super::error::db_error;
use super::rows::{count, id, total};
use super::schema::inventory;
use super::Postgres;

#[async_trait]
impl InventoryRepository for Postgres {
    /// Two queries: the count, and the page joined with products and categories.
    async fn list_store_inventory(
        &self,
        store_id: StoreId,
        page: PageRequest,
    ) -> Result<Page<InventoryItem>> {
        let (mut conn, _) = self.read_conn().await?;
        let count_all: i64 = inventory::table
            .filter(inventory::store_id.eq(store_id.get()))
            .count()
            .get_result(&mut *conn)
            .await
            .map_err(db_error)?;
        let rows: Vec<InventoryRow> = diesel::sql_query(
            "SELECT i.product_id, p.title, p.price, c.name AS category_name, i.quantity
             FROM inventory i
             JOIN products p ON p.id = i.product_id
             JOIN categories c ON c.id = p.category_id
             WHERE i.store_id = $1
             ORDER BY lower(p.title), p.id
             LIMIT $2 OFFSET $3",
        )
        .bind::<BigInt, _>(store_id.get())
        .bind::<BigInt, _>(page.limit())
        .bind::<BigInt, _>(page.offset())
        .load(&mut *conn)
        .await
        .map_err(db_error)?;
        let items = rows
            .into_iter()
            .map(InventoryRow::into_item)
            .collect::<Result<_>>()?;
        Ok(Page {
            items,
            total: total(count_all)?,
            request: page,
        })
    }
}

#[derive(QueryableByName)]
pub(super) struct InventoryRow {
    #[diesel(sql_type = BigInt)]
    product_id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Numeric)]
    price: Decimal,
    #[diesel(sql_type = Text)]
    category_name: String,
    #[diesel(sql_type = Integer)]
    quantity: i32,
}

impl InventoryRow {
    /// The core's item.
    pub(super) fn into_item(self) -> Result<InventoryItem> {
        Ok(InventoryItem {
            product_id: id(self.product_id, ProductId::new)?,
            product_title: self.title,
            price: self.price,
            category_name: self.category_name,
            quantity: count(self.quantity)?,
        })
    }
}
