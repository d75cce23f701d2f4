//! Inventory: what a store holds of each product.

use async_trait::async_trait;
use rust_decimal::Decimal;

use crate::stores::{require_store, StoreRepository};
use crate::{Page, PageRequest, ProductId, Result, StoreId};

/// One product in a store's inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryItem {
    /// The product.
    pub product_id: ProductId,
    /// Its title.
    pub product_title: String,
    /// Its price.
    pub price: Decimal,
    /// Its category's name.
    pub category_name: String,
    /// Units in stock in the store.
    pub quantity: u32,
}

/// Inventory storage.
///
/// Errors: [`crate::Error::Unavailable`] when the database cannot be reached,
/// [`crate::Error::Internal`] otherwise.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait InventoryRepository: Send + Sync {
    /// A page of the store's inventory sorted by product title (case-insensitive), then product
    /// id, in a constant number of queries.
    async fn list_store_inventory(&self, store_id: StoreId, page: PageRequest)
        -> Result<Page<InventoryItem>>;
}

/// A page of a store's inventory. Errors: [`crate::Error::NotFound`] for an unknown store.
pub async fn list_store_inventory(
    stores: &dyn StoreRepository,
    inventory: &dyn InventoryRepository,
    raw_store_id: i64,
    page: PageRequest,
) -> Result<Page<InventoryItem>> {
    let store_id = require_store(stores, raw_store_id).await?;
    inventory.list_store_inventory(store_id, page).await
}
