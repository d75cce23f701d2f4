//! Catalogue reads (public): lists of categories and stores, and one record by id.
//!
//! None of these is cached: they are small indexed reads, and leaving them out of the cache
//! means a catalogue write needs no invalidation for them.

use super::ports::CatalogueRepository;
use super::records::{Category, Product, Store};
use crate::{CategoryId, Entity, Error, Page, PageRequest, ProductId, Result, StoreId};

/// A page of categories, by name (case-insensitive) then id.
pub async fn list_categories(
    catalogue: &dyn CatalogueRepository,
    page: PageRequest,
) -> Result<Page<Category>> {
    catalogue.list_categories(page).await
}

/// A page of stores, by name (case-insensitive) then id.
pub async fn list_stores(catalogue: &dyn CatalogueRepository, page: PageRequest) -> Result<Page<Store>> {
    catalogue.list_stores(page).await
}

/// The category `raw_id` names. Errors: [`Error::NotFound`] (ids ≤ 0 are not looked up).
pub async fn get_category(catalogue: &dyn CatalogueRepository, raw_id: i64) -> Result<Category> {
    let found = match CategoryId::new(raw_id) {
        Some(id) => catalogue.find_category(id).await?,
        None => None,
    };
    found.ok_or(not_found(Entity::Category, raw_id))
}

/// The store `raw_id` names. Errors: [`Error::NotFound`] (ids ≤ 0 are not looked up).
pub async fn get_store(catalogue: &dyn CatalogueRepository, raw_id: i64) -> Result<Store> {
    let found = match StoreId::new(raw_id) {
        Some(id) => catalogue.find_store(id).await?,
        None => None,
    };
    found.ok_or(not_found(Entity::Store, raw_id))
}

/// The product `raw_id` names, with its category. Errors: [`Error::NotFound`] (ids ≤ 0 are
/// not looked up).
pub async fn get_product(catalogue: &dyn CatalogueRepository, raw_id: i64) -> Result<Product> {
    let found = match ProductId::new(raw_id) {
        Some(id) => catalogue.find_product(id).await?,
        None => None,
    };
    found.ok_or(not_found(Entity::Product, raw_id))
}

pub(super) fn not_found(entity: Entity, id: i64) -> Error {
    Error::NotFound { entity, id }
}
