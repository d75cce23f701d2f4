//! The catalogue: categories, products and stores.
//!
//! Read by anyone ([`get_product`], [`list_categories`], …), written one record at a time by
//! staff with a catalogue token ([`create_product`], [`rename_category`], …), and filled in
//! bulk by the seeder in one all-or-nothing load ([`seed_catalogue`]).

mod commands;
mod model;
mod ports;
mod reads;
mod records;
mod seed;
mod values;
mod writes;

pub use commands::{
    CategoryCommand, CategoryInput, CreateProduct, CreateStore, Field, ProductChanges, ProductInput,
    StoreChanges, StoreInput,
};
pub use model::{NewCategory, NewProduct, NewStockLevel, NewStore, SeedPlan, SeedReport};
pub use ports::{
    CatalogueLoad, CatalogueLoader, CatalogueRepository, CatalogueSource, SeedPhase, SeedProgress,
};
#[cfg(any(test, feature = "mock"))]
pub use ports::{
    MockCatalogueLoad, MockCatalogueLoader, MockCatalogueRepository, MockCatalogueSource, MockSeedProgress,
};
pub use reads::{get_category, get_product, get_store, list_categories, list_stores};
pub use records::{Category, Product, Store};
pub use seed::seed_catalogue;
pub use values::{Description, Location, Name, Price};
pub use writes::{
    create_category, create_product, create_store, rename_category, unknown_category, update_product,
    update_store, CatalogueWriter,
};

#[cfg(test)]
mod command_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod write_tests;
