//! The search port.

use async_trait::async_trait;

use super::model::{ProductSearch, SuggestText};
use super::results::SearchResults;
use crate::Result;

/// Product search over the catalogue.
///
/// Errors: [`crate::Error::Unavailable`] when the database cannot be reached,
/// [`crate::Error::Internal`] otherwise. Any validated input yields results (maybe none),
/// never an error.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CatalogSearch: Send + Sync {
    /// One page of products matching every filter, in `search.sort` order with ties broken by
    /// id ascending, and their count up to `search.count_limit` (reading no more than the
    /// bound + 1 matches to know whether there are more): a constant number of queries.
    async fn search(&self, search: &ProductSearch) -> Result<SearchResults>;

    /// Up to `limit` distinct titles (case-insensitive) containing `text`: those starting with
    /// it first, then the others; within each group shorter first, then alphabetical.
    async fn suggest(&self, text: &SuggestText, limit: usize) -> Result<Vec<String>>;
}
