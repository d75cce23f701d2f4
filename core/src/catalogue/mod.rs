//! Catalogue loading: filling an empty database with categories, products, stores and stock
//! in one all-or-nothing load (the seeder's use-case).

mod model;
mod ports;
mod seed;

pub use model::{NewCategory, NewProduct, NewStockLevel, NewStore, SeedPlan, SeedReport};
pub use ports::{CatalogueLoad, CatalogueLoader, CatalogueSource, SeedPhase, SeedProgress};
#[cfg(any(test, feature = "mock"))]
pub use ports::{MockCatalogueLoad, MockCatalogueLoader, MockCatalogueSource, MockSeedProgress};
pub use seed::seed_catalogue;

#[cfg(test)]
mod tests;
