//! Search use-cases.

use std::time::Duration;

use super::model::{ProductSearch, SearchRequest, SuggestText, MAX_SUGGESTIONS};
use super::ports::CatalogSearch;
use super::results::{CountLimit, SearchPage, SearchResults};
use crate::cache::{read_through, Cache, CacheKey, Cached, Scope};
use crate::stores::StoreRepository;
use crate::{Entity, Error, PageRequest, Result};

/// Searches products, counting matches up to `count_limit`. Errors: [`Error::Invalid`] naming
/// each bad parameter (and `page` when it starts past `count_limit` results),
/// [`Error::NotFound`] when `store_id` names no store.
pub async fn search_products(
    stores: &dyn StoreRepository,
    search: &dyn CatalogSearch,
    request: &SearchRequest,
    page: PageRequest,
    count_limit: CountLimit,
) -> Result<SearchPage> {
    let query = ProductSearch::parse(request, page, count_limit)?;
    Ok(run_search(stores, search, &query).await?.into_page(page))
}

async fn run_search(
    stores: &dyn StoreRepository,
    search: &dyn CatalogSearch,
    query: &ProductSearch,
) -> Result<SearchResults> {
    if let Some(store_id) = query.store_id {
        if !stores.store_exists(store_id).await? {
            return Err(Error::NotFound {
                entity: Entity::Store,
                id: store_id.get(),
            });
        }
    }
    search.search(query).await
}

/// What a search's result depends on: the catalogue always; the store's stock when it names a
/// store (results show its quantities); stock anywhere when it filters on `in_stock` alone.
/// A search without either shows no stock, so orders leave it cached.
pub fn search_cache_key(query: &ProductSearch) -> CacheKey {
    let mut scopes = vec![Scope::Catalogue];
    match (query.store_id, query.in_stock) {
        (Some(store), _) => scopes.push(Scope::Store(store)),
        (None, Some(_)) => scopes.push(Scope::Stock),
        (None, None) => {}
    }
    CacheKey {
        namespace: "search",
        // The parsed search is normalised (trimmed, lower-cased words, defaults applied), so
        // requests that mean the same share an entry; it includes the count limit, so servers
        // configured with different bounds never read each other's counts.
        request: format!("{query:?}"),
        scopes,
    }
}

/// [`search_products`] through the cache. Validation runs first (invalid requests never touch
/// the cache); a cached page proves its store existed at that catalogue version.
pub async fn search_products_cached(
    stores: &dyn StoreRepository,
    search: &dyn CatalogSearch,
    cache: &dyn Cache,
    ttl: Duration,
    request: &SearchRequest,
    page: PageRequest,
    count_limit: CountLimit,
) -> Result<Cached<SearchPage>> {
    let query = ProductSearch::parse(request, page, count_limit)?;
    let cached = read_through(cache, &search_cache_key(&query), ttl, || {
        run_search(stores, search, &query)
    })
    .await?;
    Ok(Cached {
        value: cached.value.into_page(page),
        status: cached.status,
    })
}

/// Suggests up to ten product titles for `q`. Errors: [`Error::Invalid`] naming `q` when it has
/// fewer than three characters after trimming (or is missing).
pub async fn suggest_titles(search: &dyn CatalogSearch, q: Option<&str>) -> Result<Vec<String>> {
    let text = SuggestText::parse(q)?;
    search.suggest(&text, MAX_SUGGESTIONS).await
}

/// [`suggest_titles`] through the cache. Titles change only with the catalogue.
pub async fn suggest_titles_cached(
    search: &dyn CatalogSearch,
    cache: &dyn Cache,
    ttl: Duration,
    q: Option<&str>,
) -> Result<Cached<Vec<String>>> {
    let text = SuggestText::parse(q)?;
    let key = CacheKey {
        namespace: "suggest",
        request: text.as_str().to_owned(),
        scopes: vec![Scope::Catalogue],
    };
    read_through(cache, &key, ttl, || search.suggest(&text, MAX_SUGGESTIONS)).await
}
