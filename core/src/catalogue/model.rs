//! Rows to load and the plan of a load.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::{CategoryId, Error, FieldError, ProductId, Result, StoreId};

/// A category to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCategory {
    /// Its id (loads choose ids, so a seed reproduces them).
    pub id: CategoryId,
    /// Unique name.
    pub name: String,
}

/// A product to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    /// Its id.
    pub id: ProductId,
    /// Title, several words.
    pub title: String,
    /// Optional description.
    pub description: Option<String>,
    /// Price, ≥ 0 with two decimals.
    pub price: Decimal,
    /// Its category.
    pub category_id: CategoryId,
    /// When it was added to the catalogue.
    pub created_at: DateTime<Utc>,
}

/// A store to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStore {
    /// Its id.
    pub id: StoreId,
    /// Name.
    pub name: String,
    /// Address.
    pub location: String,
}

/// Units of one product in one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewStockLevel {
    /// The store.
    pub store_id: StoreId,
    /// The product.
    pub product_id: ProductId,
    /// Units in stock (0 allowed).
    pub quantity: u32,
}

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedPlan {
    /// Number of categories.
    pub categories: u32,
    /// Number of products.
    pub products: u32,
    /// Number of stores.
    pub stores: u32,
    /// Distinct products stocked by each store.
    pub inventory_per_store: u32,
}

impl Default for SeedPlan {
    /// The sizes the assignment asks for at least: 10 categories, 1000 products, 20 stores,
    /// 300 products in each store.
    fn default() -> Self {
        Self {
            categories: 10,
            products: 1000,
            stores: 20,
            inventory_per_store: 300,
        }
    }
}

impl SeedPlan {
    /// Largest accepted product count (ids and arrays stay far from any limit).
    pub const MAX_PRODUCTS: u32 = 50_000_000;

    /// Checks the plan is possible: at least one of each, no more stocked products per store
    /// than there are products.
    pub fn validate(&self) -> Result<()> {
        let mut errors = Vec::new();
        for (field, value) in [
            ("categories", self.categories),
            ("products", self.products),
            ("stores", self.stores),
        ] {
            if value == 0 {
                errors.push(FieldError::new(field, "must be at least 1"));
            }
        }
        if self.products > Self::MAX_PRODUCTS {
            errors.push(FieldError::new(
                "products",
                format!("must be at most {}", Self::MAX_PRODUCTS),
            ));
        }
        if self.inventory_per_store > self.products {
            errors.push(FieldError::new(
                "inventory_per_store",
                format!("must be at most the number of products ({})", self.products),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(errors))
        }
    }
}

/// What a load wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeedReport {
    /// Categories written.
    pub categories: u64,
    /// Products written.
    pub products: u64,
    /// Stores written.
    pub stores: u64,
    /// Inventory rows written.
    pub inventory_rows: u64,
}

impl SeedReport {
    /// All rows written.
    pub fn total_rows(&self) -> u64 {
        self.categories + self.products + self.stores + self.inventory_rows
    }
}
