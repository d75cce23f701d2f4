//! `GET /api/search/products/` and `GET /api/search/suggest/`.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use aforro_core::rate_limit::check_rate;
use aforro_core::search::{self, ProductHit, SearchRequest};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::pagination::{page_request, param, query_pairs, PageParams, Paginated};
use super::{money, timestamp, x_cache};
use crate::client_ip::client_ip;
use crate::extract::query_int;
use crate::problem::ApiError;
use crate::state::AppState;

/// Query parameters of the product search (all optional).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters; values are read from the query string
pub struct SearchParams {
    /// Keywords matched against title, description and category name (at most 200 characters).
    #[param(max_length = 200, pattern = "^[^\\u0000]*$")]
    q: Option<String>,
    /// A category id, or a category name (case-insensitive exact match).
    #[param(pattern = "^[^\\u0000]*$")]
    category: Option<String>,
    /// Lowest price, inclusive: plain decimal text, at most two decimals, no sign.
    #[param(value_type = Option<String>, example = "2.50", pattern = "^[0-9]{1,10}(\\.[0-9]{1,2})?$")]
    min_price: Option<String>,
    /// Highest price, inclusive (decimal, ≥ min_price).
    #[param(value_type = Option<String>, example = "10.00", pattern = "^[0-9]{1,10}(\\.[0-9]{1,2})?$")]
    max_price: Option<String>,
    /// Restrict to products stocked in this store and include their `quantity`.
    #[param(minimum = 1)]
    store_id: Option<i64>,
    /// Quantity > 0 in `store_id` if given, otherwise in any store.
    in_stock: Option<bool>,
    /// `relevance` (default with `q`), `price`, `-price`, `newest` (default without `q`).
    #[param(pattern = "^(relevance|price|-price|newest)$")]
    sort: Option<String>,
}

/// Category of a product.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryDto {
    pub(crate) id: i64,
    #[schema(example = "Beverages")]
    pub(crate) name: String,
}

/// A product found.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductDto {
    id: i64,
    title: String,
    description: Option<String>,
    /// Decimal string with two places.
    #[schema(example = "4.20")]
    price: String,
    category: CategoryDto,
    #[schema(example = "2026-11-24T16:20:05.123Z")]
    created_at: String,
    /// Units in the searched store; present only when `store_id` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    quantity: Option<u32>,
}

impl From<ProductHit> for ProductDto {
    fn from(hit: ProductHit) -> Self {
        ProductDto {
            id: hit.id.get(),
            title: hit.title,
            description: hit.description,
            price: money(hit.price),
            category: CategoryDto {
                id: hit.category_id.get(),
                name: hit.category_name,
            },
            created_at: timestamp(hit.created_at),
            quantity: hit.quantity,
        }
    }
}

fn boolean(name: &str, raw: Option<&str>) -> Result<Option<bool>, ApiError> {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(_) => Err(ApiError::bad_field(name, "must be true or false")),
    }
}

/// A page of search results: the pagination envelope of every list, plus whether `count`
/// is exact.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResultsPage {
    #[serde(flatten)]
    page: Paginated<ProductDto>,
    /// `true`: `count` is the number of matches. `false`: more than `count` products match;
    /// `count` is the server's bound (`SEARCH_COUNT_LIMIT`) and `total_pages` is computed from
    /// it — pages past it are refused (422), so narrow the search.
    count_exact: bool,
}

/// Searches products with keywords, filters, sorting and pagination.
#[utoipa::path(
    get, path = "/api/search/products/", tag = "search",
    params(SearchParams, PageParams),
    responses(
        (status = 200, body = SearchResultsPage, headers(("X-Cache" = String, description = "HIT, MISS or BYPASS (cache unavailable)"))),
        (status = 400, description = "A parameter of the wrong type"),
        (status = 404, description = "Unknown store_id"),
        (status = 422, description = "Invalid parameters, or a page that starts past the first SEARCH_COUNT_LIMIT results"),
    )
)]
pub async fn search_products(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(&req)?;
    let request = SearchRequest {
        q: param(&pairs, "q").map(String::from),
        category: param(&pairs, "category").map(String::from),
        min_price: param(&pairs, "min_price").map(String::from),
        max_price: param(&pairs, "max_price").map(String::from),
        store_id: query_int("store_id", param(&pairs, "store_id"))?,
        in_stock: boolean("in_stock", param(&pairs, "in_stock"))?,
        sort: param(&pairs, "sort").map(String::from),
    };
    let page = page_request(&pairs, 20)?;
    let result = search::search_products_cached(
        state.stores.as_ref(),
        state.search.as_ref(),
        state.cache.as_ref(),
        state.cache_ttl,
        &request,
        page,
        state.search_count_limit,
    )
    .await?;
    let found = result.value;
    Ok(HttpResponse::Ok()
        .insert_header(x_cache(result.status))
        .json(SearchResultsPage {
            page: Paginated::new(found.page, "/api/search/products/", &pairs, ProductDto::from),
            count_exact: found.count_exact,
        }))
}

/// Title suggestions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    /// At most 10 distinct titles: those starting with `q` first, then those containing it;
    /// shorter first, then alphabetical.
    #[schema(example = json!(["Green Tea", "Green Tea Latte", "Jasmine Green Tea"]))]
    suggestions: Vec<String>,
}

/// Query of the suggest endpoint.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameter
pub struct SuggestParams {
    /// At least 3 characters after trimming, at most 200.
    #[param(min_length = 3, max_length = 200, pattern = "^[^\\u0000]*$")]
    q: String,
}

/// Autocomplete: product titles for a partial query.
#[utoipa::path(
    get, path = "/api/search/suggest/", tag = "search",
    params(SuggestParams),
    responses(
        (status = 200, body = Suggestions, headers(
            ("X-Cache" = String, description = "HIT, MISS or BYPASS (cache unavailable)"),
            ("RateLimit-Limit" = u32, description = "Requests allowed per window"),
            ("RateLimit-Remaining" = u32, description = "Requests left in the current window"),
            ("RateLimit-Reset" = u64, description = "Seconds until the window frees a request"),
        )),
        (status = 400, description = "Malformed query string (or a NUL character)"),
        (status = 422, description = "q shorter than 3 characters"),
        (status = 429, description = "Rate limited", headers(
            ("Retry-After" = u64, description = "Seconds to wait before retrying"),
            ("RateLimit-Limit" = u32), ("RateLimit-Remaining" = u32), ("RateLimit-Reset" = u64),
        )),
    )
)]
pub async fn suggest(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let client = client_ip(&req, &state.trusted_proxies);
    let decision = check_rate(
        state.shared_limiter.as_ref(),
        state.local_limiter.as_ref(),
        "suggest",
        &client,
        state.suggest_limit,
    )
    .await;
    // Whole seconds, rounded up: a client that waits this long is sure to get through.
    let reset = decision.reset_after.as_millis().div_ceil(1000) as u64;
    let mut response = if decision.allowed {
        match suggest_titles(&state, &req).await {
            Ok(response) => response,
            Err(error) => error.error_response(),
        }
    } else {
        ApiError::TooManyRequests(reset.max(1)).error_response()
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("ratelimit-limit", u64::from(decision.limit)),
        ("ratelimit-remaining", u64::from(decision.remaining)),
        ("ratelimit-reset", reset),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
    response
}

async fn suggest_titles(state: &AppState, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(req)?;
    let result = search::suggest_titles_cached(
        state.search.as_ref(),
        state.cache.as_ref(),
        state.cache_ttl,
        param(&pairs, "q"),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(x_cache(result.status))
        .json(Suggestions {
            suggestions: result.value,
        }))
}
