//! Catalogue writes (staff with a catalogue token), and the cache invalidation they need.
//!
//! Every write: authorises first (before looking at the request or at what it names), parses
//! its command (every bad field at once), commits through the repository, logs who did it,
//! and — for categories and products — bumps the catalogue's version ([`Stale::Catalogue`])
//! before returning, so that no cached search, suggest or inventory page from before the write
//! is served once the client has its answer. As for orders, a bump that fails does not undo
//! the committed write: it is handed to the worker through the outbox
//! ([`WritePorts::bump_or_defer`]).
//!
//! A body that breaks the rules in a write to an id that does not exist is a 404, not a 422:
//! whether the target exists is looked up only then, so a valid write costs no extra read.

use super::commands::{
    CategoryCommand, CategoryInput, CreateProduct, CreateStore, Field, ProductChanges, ProductInput,
    StoreChanges, StoreInput,
};
use super::ports::CatalogueRepository;
use super::reads::not_found;
use super::records::{Category, Product, Store};
use crate::auth::{authorize, Action, Principal};
use crate::cache::{Stale, WritePorts};
use crate::{CategoryId, Entity, Error, FieldError, ProductId, Result, StoreId};

/// What catalogue writes need: the catalogue's repository, the cache to invalidate after a
/// category or product write, and the outbox for an invalidation this process could not apply.
pub type CatalogueWriter<'a> = WritePorts<'a, dyn CatalogueRepository>;

/// The 422 of a product write naming a category that does not exist.
pub fn unknown_category(id: CategoryId) -> Error {
    Error::Invalid(vec![unknown_category_field(id)])
}

fn unknown_category_field(id: CategoryId) -> FieldError {
    FieldError::new("category_id", format!("no category has id {id}"))
}

/// Creates a category. Errors: [`Error::Forbidden`] for a store token; [`Error::Invalid`];
/// [`Error::Conflict`] when another category has the name, ignoring case.
pub async fn create_category(
    ports: CatalogueWriter<'_>,
    principal: &Principal,
    input: &CategoryInput,
) -> Result<Category> {
    authorize(principal, Action::WriteCatalogue)?;
    let command = CategoryCommand::parse(input)?;
    let category = ports.repository.insert_category(&command).await?;
    written(ports, principal, Entity::Category, category.id.get(), "created").await;
    Ok(category)
}

/// Renames a category; search finds its products by the new name at once. Errors: as
/// [`create_category`], and [`Error::NotFound`].
pub async fn rename_category(
    ports: CatalogueWriter<'_>,
    principal: &Principal,
    raw_id: i64,
    input: &CategoryInput,
) -> Result<Category> {
    authorize(principal, Action::WriteCatalogue)?;
    let id = CategoryId::new(raw_id).ok_or(not_found(Entity::Category, raw_id))?;
    let command = match CategoryCommand::parse(input) {
        Ok(command) => command,
        Err(error) => {
            let exists = ports.repository.find_category(id).await?.is_some();
            return Err(unless_missing(exists, Entity::Category, raw_id, error));
        }
    };
    let category = ports
        .repository
        .rename_category(id, &command)
        .await?
        .ok_or(not_found(Entity::Category, raw_id))?;
    written(ports, principal, Entity::Category, raw_id, "renamed").await;
    Ok(category)
}

/// Creates a product (with no stock anywhere). Errors: [`Error::Forbidden`] for a store
/// token; [`Error::Invalid`], naming `category_id` too when its category does not exist.
pub async fn create_product(
    ports: CatalogueWriter<'_>,
    principal: &Principal,
    input: &ProductInput,
) -> Result<Product> {
    authorize(principal, Action::WriteCatalogue)?;
    let command = match CreateProduct::parse(input) {
        Ok(command) => command,
        Err(error) => return Err(with_unknown_category(ports.repository, input, error).await?),
    };
    let product = ports.repository.insert_product(&command).await?;
    written(ports, principal, Entity::Product, product.id.get(), "created").await;
    Ok(product)
}

/// Changes a product. Errors: as [`create_product`], and [`Error::NotFound`].
pub async fn update_product(
    ports: CatalogueWriter<'_>,
    principal: &Principal,
    raw_id: i64,
    input: &ProductInput,
) -> Result<Product> {
    authorize(principal, Action::WriteCatalogue)?;
    let id = ProductId::new(raw_id).ok_or(not_found(Entity::Product, raw_id))?;
    let changes = match ProductChanges::parse(input) {
        Ok(changes) => changes,
        Err(error) => {
            let exists = ports.repository.find_product(id).await?.is_some();
            let error = if exists {
                with_unknown_category(ports.repository, input, error).await?
            } else {
                error
            };
            return Err(unless_missing(exists, Entity::Product, raw_id, error));
        }
    };
    let product = ports
        .repository
        .update_product(id, &changes)
        .await?
        .ok_or(not_found(Entity::Product, raw_id))?;
    written(ports, principal, Entity::Product, raw_id, "changed").await;
    Ok(product)
}

/// Creates a store. Errors: [`Error::Forbidden`] for a store token; [`Error::Invalid`].
///
/// Store writes invalidate nothing: no cached read shows a store's name or location
/// (inventory and search pages show stock and products, not stores), and a read naming a
/// store that did not exist yet was a 404, which is never cached.
pub async fn create_store(
    ports: CatalogueWriter<'_>,
    principal: &Principal,
    input: &StoreInput,
) -> Result<Store> {
    authorize(principal, Action::WriteCatalogue)?;
    let command = CreateStore::parse(input)?;
    let store = ports.repository.insert_store(&command).await?;
    logged(principal, Entity::Store, store.id.get(), "created");
    Ok(store)
}

/// Changes a store. Errors: as [`create_store`], and [`Error::NotFound`]. Like
/// [`create_store`], it invalidates nothing.
pub async fn update_store(
    ports: CatalogueWriter<'_>,
    principal: &Principal,
    raw_id: i64,
    input: &StoreInput,
) -> Result<Store> {
    authorize(principal, Action::WriteCatalogue)?;
    let id = StoreId::new(raw_id).ok_or(not_found(Entity::Store, raw_id))?;
    let changes = match StoreChanges::parse(input) {
        Ok(changes) => changes,
        Err(error) => {
            let exists = ports.repository.find_store(id).await?.is_some();
            return Err(unless_missing(exists, Entity::Store, raw_id, error));
        }
    };
    let store = ports
        .repository
        .update_store(id, &changes)
        .await?
        .ok_or(not_found(Entity::Store, raw_id))?;
    logged(principal, Entity::Store, raw_id, "changed");
    Ok(store)
}

/// The error of a write whose body broke the rules: 404 when its target does not exist.
fn unless_missing(exists: bool, entity: Entity, raw_id: i64, error: Error) -> Error {
    if exists {
        error
    } else {
        not_found(entity, raw_id)
    }
}

/// Adds the `category_id` error to a product body's other errors when the category it names
/// does not exist, so that one answer lists every bad field.
async fn with_unknown_category(
    catalogue: &dyn CatalogueRepository,
    input: &ProductInput,
    error: Error,
) -> Result<Error> {
    let Error::Invalid(mut errors) = error else {
        return Ok(error);
    };
    if let Field::Value(raw) = input.category_id {
        if let Some(id) = CategoryId::new(raw) {
            if catalogue.find_category(id).await?.is_none() {
                errors.push(unknown_category_field(id));
            }
        }
    }
    Ok(Error::Invalid(errors))
}

/// Every write is logged with the token's name.
fn logged(principal: &Principal, entity: Entity, id: i64, what: &str) {
    tracing::info!(actor = %principal.name, entity = %entity, id, "catalogue write: {entity} {id} {what}");
}

/// After a category or product write committed: logs it, then bumps the catalogue's version
/// or hands the bump to the worker. Never fails: the write stands either way.
async fn written(ports: CatalogueWriter<'_>, principal: &Principal, entity: Entity, id: i64, what: &str) {
    logged(principal, entity, id, what);
    ports.bump_or_defer(Stale::Catalogue, entity, id).await;
}
