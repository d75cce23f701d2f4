//! The catalogue as the API shows it: categories, products and stores.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::{CategoryId, ProductId, StoreId};

/// A category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Its id.
    pub id: CategoryId,
    /// Its name, unique ignoring case.
    pub name: String,
}

/// A product and its category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Its id.
    pub id: ProductId,
    /// Title.
    pub title: String,
    /// Description, if any.
    pub description: Option<String>,
    /// Price, ≥ 0 with two decimals.
    pub price: Decimal,
    /// Its category.
    pub category: Category,
    /// When it was added to the catalogue.
    pub created_at: DateTime<Utc>,
}

/// A store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    /// Its id.
    pub id: StoreId,
    /// Name.
    pub name: String,
    /// Where it is.
    pub location: String,
}
