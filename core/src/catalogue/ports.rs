//! Ports of the catalogue: its records one by one (the API), and the bulk load (the seeder).

use async_trait::async_trait;

use super::commands::{CategoryCommand, CreateProduct, CreateStore, ProductChanges, StoreChanges};
use super::model::{NewCategory, NewProduct, NewStockLevel, NewStore, SeedPlan};
use super::records::{Category, Product, Store};
use crate::{CategoryId, Page, PageRequest, ProductId, Result, StoreId};

/// Categories, products and stores, read and written one at a time.
///
/// Errors: [`crate::Error::Conflict`] when a category write would give two categories the
/// same name ignoring case; [`crate::Error::Invalid`] naming `category_id` when a product
/// write names a category that does not exist (nothing is written); [`crate::Error::Unavailable`]
/// when the database cannot be reached; [`crate::Error::Internal`] otherwise. An update of a
/// record that does not exist is `Ok(None)`, not an error. Each write is one transaction,
/// committed when the method returns.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CatalogueRepository: Send + Sync {
    /// A page of categories by name (case-insensitive), then id, and their total.
    async fn list_categories(&self, page: PageRequest) -> Result<Page<Category>>;

    /// The category, if it exists.
    async fn find_category(&self, id: CategoryId) -> Result<Option<Category>>;

    /// A page of stores by name (case-insensitive), then id, and their total.
    async fn list_stores(&self, page: PageRequest) -> Result<Page<Store>>;

    /// The store, if it exists.
    async fn find_store(&self, id: StoreId) -> Result<Option<Store>>;

    /// The product with its category, if it exists.
    async fn find_product(&self, id: ProductId) -> Result<Option<Product>>;

    /// Creates a category.
    async fn insert_category(&self, category: &CategoryCommand) -> Result<Category>;

    /// Renames a category (to its own name in another case too); `None` when it does not exist.
    async fn rename_category(&self, id: CategoryId, category: &CategoryCommand) -> Result<Option<Category>>;

    /// Creates a product, with no stock anywhere.
    async fn insert_product(&self, product: &CreateProduct) -> Result<Product>;

    /// Changes a product; `None` when it does not exist (checked before its new category).
    async fn update_product(&self, id: ProductId, changes: &ProductChanges) -> Result<Option<Product>>;

    /// Creates a store.
    async fn insert_store(&self, store: &CreateStore) -> Result<Store>;

    /// Changes a store; `None` when it does not exist.
    async fn update_store(&self, id: StoreId, changes: &StoreChanges) -> Result<Option<Store>>;
}

/// Storage that can take a whole catalogue at once.
///
/// Errors: [`crate::Error::Conflict`] from [`begin`](CatalogueLoader::begin) when the catalogue
/// is not empty and `reset` is false (nothing is changed); `Unavailable` / `Internal` as usual.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CatalogueLoader: Send + Sync {
    /// Opens the load's transaction. With `reset`, the catalogue (and the orders that refer to
    /// it) is wiped first, inside the same transaction.
    async fn begin(&self, reset: bool) -> Result<Box<dyn CatalogueLoad>>;
}

/// One open load. Nothing is visible to others until [`commit`](CatalogueLoad::commit);
/// dropping it (or the process dying) leaves the database as it was.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CatalogueLoad: Send {
    /// Writes categories.
    async fn add_categories(&mut self, rows: &[NewCategory]) -> Result<()>;
    /// Writes a batch of products.
    async fn add_products(&mut self, rows: &[NewProduct]) -> Result<()>;
    /// Writes stores.
    async fn add_stores(&mut self, rows: &[NewStore]) -> Result<()>;
    /// Writes a batch of stock levels.
    async fn add_stock(&mut self, rows: &[NewStockLevel]) -> Result<()>;
    /// Makes the whole load visible at once.
    async fn commit(&mut self) -> Result<()>;
    /// Discards the load.
    async fn rollback(&mut self) -> Result<()>;
}

/// Where the rows come from (the seeder's fake-data generator). Calls arrive in a fixed order
/// — categories, products in ascending id batches, stores, each store's stock — so a
/// deterministic source gives the same data for the same seed.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait CatalogueSource: Send {
    /// All categories of the plan.
    fn categories(&mut self, plan: &SeedPlan) -> Vec<NewCategory>;
    /// Products with ids `first_id .. first_id + count`.
    fn products(&mut self, plan: &SeedPlan, first_id: i64, count: u32) -> Vec<NewProduct>;
    /// All stores of the plan.
    fn stores(&mut self, plan: &SeedPlan) -> Vec<NewStore>;
    /// The stock of one store: `plan.inventory_per_store` distinct products.
    fn stock(&mut self, plan: &SeedPlan, store_id: StoreId) -> Vec<NewStockLevel>;
}

/// The phases of a load, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedPhase {
    /// Writing categories.
    Categories,
    /// Writing products.
    Products,
    /// Writing stores.
    Stores,
    /// Writing inventory rows.
    Inventory,
    /// Committing.
    Commit,
}

/// Receives progress (a progress bar, a log).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait SeedProgress: Send + Sync {
    /// A phase starts with `total` rows to write.
    fn start(&self, phase: SeedPhase, total: u64);
    /// `rows` more rows of the current phase are written.
    fn advance(&self, rows: u64);
    /// The current phase is done.
    fn finish(&self, phase: SeedPhase);
}
