//! The back office's port and use-cases.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::{InventoryBrowse, OrderCounts, Overview, StoreStock};
use crate::auth::{authorize, Action, Principal, TokenScope};
use crate::catalogue::{Category, Store};
use crate::inventory::InventoryItem;
use crate::orders::{Order, OrderRepository, OrderSummary};
use crate::stores::{require_store, StoreRepository};
use crate::{Entity, Error, Page, PageRequest, Result, StoreId};

/// The back office's reads.
///
/// Errors: [`crate::Error::Unavailable`] when the database cannot be reached;
/// [`crate::Error::Internal`] otherwise.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait BackofficeRepository: Send + Sync {
    /// Every store (or only `stores`), by name then id, with its stock rows counted by level.
    async fn store_stock(&self, stores: Option<Vec<StoreId>>, low_below: u32) -> Result<Vec<StoreStock>>;

    /// Orders placed since `since` (of `stores` only, when given), by status.
    async fn order_counts(&self, since: DateTime<Utc>, stores: Option<Vec<StoreId>>) -> Result<OrderCounts>;

    /// A page of the store's stock rows that pass `browse`, in its order.
    async fn browse_inventory(
        &self,
        store_id: StoreId,
        browse: &InventoryBrowse,
        page: PageRequest,
    ) -> Result<Page<InventoryItem>>;

    /// The categories by name (case-insensitive), then id: the first `limit` of them.
    async fn category_choices(&self, limit: u32) -> Result<Vec<Category>>;

    /// A page of every store (or only `stores`), by name (case-insensitive) then id, and their
    /// total.
    async fn list_stores(&self, stores: Option<Vec<StoreId>>, page: PageRequest) -> Result<Page<Store>>;
}

/// Most categories a product form offers: far more than a shop has, and a bound on the page.
pub const MAX_CATEGORY_CHOICES: u32 = 1_000;

/// The stores `principal` may see: `None` for every store (a catalogue token).
pub fn visible_stores(principal: &Principal) -> Option<Vec<StoreId>> {
    match &principal.scope {
        TokenScope::Catalogue => None,
        TokenScope::Stores(stores) => Some(stores.iter().copied().collect()),
    }
}

/// How the stores `principal` may see stand at `now`, with their orders since the start of
/// that day (UTC).
pub async fn overview(
    repo: &dyn BackofficeRepository,
    principal: &Principal,
    now: DateTime<Utc>,
    low_below: u32,
) -> Result<Overview> {
    let stores = visible_stores(principal);
    let midnight = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map_or(now, |start| start.and_utc());
    Ok(Overview {
        stores: repo.store_stock(stores.clone(), low_below.max(1)).await?,
        orders_today: repo.order_counts(midnight, stores).await?,
    })
}

/// A page of a store's inventory as `browse` filters and orders it, for a principal allowed
/// to see the store.
///
/// Errors: [`crate::Error::Forbidden`] for a store outside the principal's scope (before any
/// lookup, so a store token learns nothing of other stores); [`crate::Error::NotFound`] for an
/// unknown store.
pub async fn browse_inventory(
    repo: &dyn BackofficeRepository,
    stores: &dyn StoreRepository,
    principal: &Principal,
    raw_store_id: i64,
    browse: &InventoryBrowse,
    page: PageRequest,
) -> Result<Page<InventoryItem>> {
    if let Some(store) = StoreId::new(raw_store_id) {
        authorize(principal, Action::ViewStore(store))?;
    }
    let store_id = require_store(stores, raw_store_id).await?;
    repo.browse_inventory(store_id, browse, page).await
}

/// A page of a store's orders, newest first, for a principal allowed to see the store.
///
/// Errors: [`crate::Error::Forbidden`] for a store outside the principal's scope (before any
/// lookup); [`crate::Error::NotFound`] for an unknown store.
pub async fn store_orders(
    orders: &dyn OrderRepository,
    stores: &dyn StoreRepository,
    principal: &Principal,
    raw_store_id: i64,
    page: PageRequest,
) -> Result<Page<OrderSummary>> {
    if let Some(store) = StoreId::new(raw_store_id) {
        authorize(principal, Action::ViewStore(store))?;
    }
    crate::orders::list_store_orders(stores, orders, raw_store_id, page).await
}

/// One order, for a principal allowed to see its store.
///
/// Errors: [`crate::Error::NotFound`] for an unknown order, to a catalogue token; a store
/// token gets [`crate::Error::Forbidden`] both for another store's order and for one that does
/// not exist, so that it learns nothing of other stores' orders.
pub async fn view_order(
    orders: &dyn OrderRepository,
    principal: &Principal,
    raw_order_id: i64,
) -> Result<Order> {
    let found = match crate::orders::get_order(orders, raw_order_id).await {
        Ok(order) => Some(order),
        Err(Error::NotFound { .. }) => None,
        Err(other) => return Err(other),
    };
    if let TokenScope::Stores(_) = principal.scope {
        match &found {
            Some(order) => authorize(principal, Action::ViewStore(order.store_id))?,
            None => {
                return Err(Error::Forbidden(format!(
                    "token '{}' may see the orders of its own stores only",
                    principal.name
                )))
            }
        }
    }
    found.ok_or(Error::NotFound {
        entity: Entity::Order,
        id: raw_order_id,
    })
}

/// The categories a product form offers (public, like the API's list of them), by name: at
/// most [`MAX_CATEGORY_CHOICES`].
pub async fn category_choices(repo: &dyn BackofficeRepository) -> Result<Vec<Category>> {
    repo.category_choices(MAX_CATEGORY_CHOICES).await
}

/// A page of the stores `principal` may see, by name then id: a store token's own stores, or
/// every store for a catalogue token.
pub async fn list_stores(
    repo: &dyn BackofficeRepository,
    principal: &Principal,
    page: PageRequest,
) -> Result<Page<Store>> {
    repo.list_stores(visible_stores(principal), page).await
}
