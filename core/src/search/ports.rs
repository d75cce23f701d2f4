//! The search port.

use async_trait::async_trait;

use super::model::{ProductHit, ProductSearch, SuggestText};
use crate::{Page, Result};

/// Product search over the catalogue.
///
/// Errors: [`crate::Error::Unavailable`] when the database cannot be reached,
/// [`crate::Error::Internal`] otherwise. Any validated input yields results (maybe none),
/// never an error.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CatalogSearch: Send + Sync {
    /// One page of products matching every filter, in `search.sort` order with ties broken by
    /// id ascending, and the total count: a constant number of queries.
    async fn search(&self, search: &ProductSearch) -> Result<Page<ProductHit>>;

    /// Up to `limit` distinct titles (case-insensitive) containing `text`: those starting with
    /// it first, then the others; within each group shorter first, then alphabetical.
    async fn suggest(&self, text: &SuggestText, limit: usize) -> Result<Vec<String>>;
}
