//! The pagination envelope shared by every list endpoint.

use actix_web::HttpRequest;
use aforro_core::{Page, PageRequest};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::extract::query_int;
use crate::problem::ApiError;

/// `page` and `page_size` query parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters; values are read by `page_request`
pub struct PageParams {
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 10000000)]
    page: Option<i64>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<i64>,
}

/// The query string as ordered pairs (undecodable strings, and NUL characters, are a 400).
pub fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).map_err(|e| ApiError::BadRequest {
            detail: format!("query string is malformed: {e}"),
            field: None,
        })?;
    // No text the API stores or searches can hold NUL (Postgres text cannot): refused here,
    // once for every parameter, instead of failing at the database (found by schemathesis in
    // `category`).
    if let Some((name, _)) = pairs.iter().find(|(k, v)| k.contains('\0') || v.contains('\0')) {
        return Err(ApiError::bad_field(
            name.replace('\0', ""),
            "must not contain NUL characters",
        ));
    }
    Ok(pairs)
}

/// The value of a query parameter (the last one, when repeated).
pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Reads `page` / `page_size` from the query.
pub fn page_request(pairs: &[(String, String)], default_size: u32) -> Result<PageRequest, ApiError> {
    let page = query_int("page", param(pairs, "page"))?;
    let page_size = query_int("page_size", param(pairs, "page_size"))?;
    Ok(PageRequest::new(page, page_size, default_size)?)
}

/// A page of results with links to its neighbours.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paginated<T> {
    /// Items in all pages.
    pub count: u64,
    /// This page's number.
    pub page: u32,
    /// Items per page.
    pub page_size: u32,
    /// Number of pages.
    pub total_pages: u64,
    /// Link to the next page, keeping every other query parameter; null on the last page.
    pub next: Option<String>,
    /// Link to the previous page; null on the first page.
    pub previous: Option<String>,
    /// This page's items (empty past the end).
    pub results: Vec<T>,
}

impl<T> Paginated<T> {
    /// Builds the envelope; links point at `path` with the request's other parameters kept.
    pub fn new<U>(page: Page<U>, path: &str, pairs: &[(String, String)], convert: impl Fn(U) -> T) -> Self {
        let request = page.request;
        let link = |number: u32| {
            let mut kept: Vec<(&str, String)> = pairs
                .iter()
                .filter(|(k, _)| k != "page" && k != "page_size")
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            kept.push(("page", number.to_string()));
            kept.push(("page_size", request.page_size().to_string()));
            format!(
                "{path}?{}",
                serde_urlencoded::to_string(&kept).unwrap_or_default()
            )
        };
        Paginated {
            count: page.total,
            page: request.page(),
            page_size: request.page_size(),
            total_pages: page.total_pages(),
            next: page.has_next().then(|| link(request.page() + 1)),
            // Past the end, "previous" points at the last page that has items.
            previous: page.has_previous().then(|| {
                let last = u32::try_from(page.total_pages()).unwrap_or(u32::MAX).max(1);
                link((request.page() - 1).min(last))
            }),
            results: page.items.into_iter().map(convert).collect(),
        }
    }
}
