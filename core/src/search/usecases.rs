//! Search use-cases.

use super::model::{ProductHit, ProductSearch, SearchRequest, SuggestText, MAX_SUGGESTIONS};
use super::ports::CatalogSearch;
use crate::stores::StoreRepository;
use crate::{Entity, Error, Page, PageRequest, Result};

/// Searches products. Errors: [`Error::Invalid`] naming each bad parameter,
/// [`Error::NotFound`] when `store_id` names no store.
pub async fn search_products(
    stores: &dyn StoreRepository,
    search: &dyn CatalogSearch,
    request: &SearchRequest,
    page: PageRequest,
) -> Result<Page<ProductHit>> {
    let query = ProductSearch::parse(request, page)?;
    if let Some(store_id) = query.store_id {
        if !stores.store_exists(store_id).await? {
            return Err(Error::NotFound {
                entity: Entity::Store,
                id: store_id.get(),
            });
        }
    }
    search.search(&query).await
}

/// Suggests up to ten product titles for `q`. Errors: [`Error::Invalid`] naming `q` when it has
/// fewer than three characters after trimming (or is missing).
pub async fn suggest_titles(search: &dyn CatalogSearch, q: Option<&str>) -> Result<Vec<String>> {
    let text = SuggestText::parse(q)?;
    search.suggest(&text, MAX_SUGGESTIONS).await
}
