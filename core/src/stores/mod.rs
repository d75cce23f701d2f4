//! Stores: the port to ask whether one exists, shared by every store-scoped use-case.

use async_trait::async_trait;

use crate::{Entity, Error, Result, StoreId};

/// Stores storage.
///
/// Errors: [`Error::Unavailable`] when the database cannot be reached, [`Error::Internal`] otherwise.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait StoreRepository: Send + Sync {
    /// Whether the store exists.
    async fn store_exists(&self, id: StoreId) -> Result<bool>;
}

/// Turns a raw path id into the id of an existing store, or [`Error::NotFound`]
/// (ids ≤ 0 cannot exist and are not looked up).
pub async fn require_store(stores: &dyn StoreRepository, raw_id: i64) -> Result<StoreId> {
    let not_found = || Error::NotFound {
        entity: Entity::Store,
        id: raw_id,
    };
    let id = StoreId::new(raw_id).ok_or_else(not_found)?;
    if stores.store_exists(id).await? {
        Ok(id)
    } else {
        Err(not_found())
    }
}
