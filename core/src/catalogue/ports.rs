//! Ports of the catalogue load.

use async_trait::async_trait;

use super::model::{NewCategory, NewProduct, NewStockLevel, NewStore, SeedPlan};
use crate::{Result, StoreId};

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
