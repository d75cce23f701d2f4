//! Product search and title suggestions.

mod model;
mod ports;
mod results;
mod usecases;

pub use model::{
    CategoryFilter, ProductSearch, SearchRequest, SearchSort, SearchText, SuggestText, MAX_QUERY_CHARS,
    MAX_SUGGESTIONS, MIN_SUGGEST_CHARS,
};
pub use ports::CatalogSearch;
#[cfg(any(test, feature = "mock"))]
pub use ports::MockCatalogSearch;
pub use results::{CountLimit, ProductHit, SearchPage, SearchResults};
pub use usecases::{
    search_cache_key, search_products, search_products_cached, suggest_titles, suggest_titles_cached,
};

#[cfg(test)]
mod tests;
