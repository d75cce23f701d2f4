//! Inventory: what a store holds of each product, and how it changes outside orders — stock
//! adjustments by staff, and the movements (adjustments and confirmed order lines) of a row.

mod adjustments;
mod movements;
mod ports;
mod stock;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use crate::ids::AdjustmentId;
pub use adjustments::{
    reason_message, validate, AdjustStock, AdjustmentReason, Delta, NewAdjustment, StockAdjustment,
    ValidatedAdjustment, MAX_DELTA, MAX_NOTE_CHARS,
};
pub use movements::{MovementCause, StockMovement, StockTargets};
pub use ports::{
    LockedStock, StockAdjustmentRepository, StockAdjustmentTransaction, StockMovementRepository,
};
#[cfg(any(test, feature = "mock"))]
pub use ports::{MockStockAdjustmentRepository, MockStockAdjustmentTransaction, MockStockMovementRepository};
pub use stock::{adjust_stock, authorize_store, list_movements, Adjusted, StockWriter};

use async_trait::async_trait;
use rust_decimal::Decimal;

use crate::cache::{read_through, Cache, CacheKey, Cached, CachedPage, Scope};
use crate::stores::{require_store, StoreRepository};
use crate::{Page, PageRequest, ProductId, Result, StoreId};

/// One product in a store's inventory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// [`list_store_inventory`] through the cache. The page depends on the catalogue (titles,
/// prices) and on the store's stock; an unknown store is never cached (errors are not).
pub async fn list_store_inventory_cached(
    stores: &dyn StoreRepository,
    inventory: &dyn InventoryRepository,
    cache: &dyn Cache,
    ttl: Duration,
    raw_store_id: i64,
    page: PageRequest,
) -> Result<Cached<Page<InventoryItem>>> {
    // A path id that is not a valid id names no store: no cache entry for it.
    let store_id = StoreId::new(raw_store_id).ok_or(crate::Error::NotFound {
        entity: crate::Entity::Store,
        id: raw_store_id,
    })?;
    let key = CacheKey {
        namespace: "inventory",
        request: format!("{}:{}:{}", store_id, page.page(), page.page_size()),
        scopes: vec![Scope::Catalogue, Scope::Store(store_id)],
    };
    let cached = read_through(cache, &key, ttl, || async {
        list_store_inventory(stores, inventory, raw_store_id, page)
            .await
            .map(CachedPage::from)
    })
    .await?;
    Ok(Cached {
        value: cached.value.into_page(page),
        status: cached.status,
    })
}
