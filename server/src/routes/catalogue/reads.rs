//! `GET /categories/`, `GET /categories/{id}/`, `GET /products/{id}/`, `GET /stores/`,
//! `GET /stores/{id}/`: no token needed.

use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::catalogue;

use super::{product_dto, StoreDto};
use crate::extract::path_id;
use crate::problem::ApiError;
use crate::routes::pagination::{page_request, query_pairs, PageParams, Paginated};
use crate::routes::search::{CategoryDto, ProductDto};
use crate::state::AppState;

/// Categories, by name (case-insensitive) then id.
#[utoipa::path(
    get, path = "/categories/", tag = "catalogue",
    params(PageParams),
    responses(
        (status = 200, body = Paginated<CategoryDto>),
        (status = 400),
        (status = 422),
    )
)]
pub async fn list_categories(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(&req)?;
    let page = page_request(&pairs, 50)?;
    let result = catalogue::list_categories(state.catalogue.as_ref(), page).await?;
    Ok(HttpResponse::Ok().json(Paginated::new(result, "/categories/", &pairs, CategoryDto::from)))
}

/// One category.
#[utoipa::path(
    get, path = "/categories/{category_id}/", tag = "catalogue",
    params(("category_id" = i64, Path, minimum = 1, description = "Category id")),
    responses(
        (status = 200, body = CategoryDto),
        (status = 404),
    )
)]
pub async fn get_category(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id("category", &path)?;
    let category = catalogue::get_category(state.catalogue.as_ref(), id).await?;
    Ok(HttpResponse::Ok().json(CategoryDto::from(category)))
}

/// One product with its category (the search result, without `quantity`).
#[utoipa::path(
    get, path = "/products/{product_id}/", tag = "catalogue",
    params(("product_id" = i64, Path, minimum = 1, description = "Product id")),
    responses(
        (status = 200, body = ProductDto),
        (status = 404),
    )
)]
pub async fn get_product(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id("product", &path)?;
    let product = catalogue::get_product(state.catalogue.as_ref(), id).await?;
    Ok(HttpResponse::Ok().json(product_dto(product)))
}

/// Stores, by name (case-insensitive) then id.
#[utoipa::path(
    get, path = "/stores/", tag = "catalogue",
    params(PageParams),
    responses(
        (status = 200, body = Paginated<StoreDto>),
        (status = 400),
        (status = 422),
    )
)]
pub async fn list_stores(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(&req)?;
    let page = page_request(&pairs, 50)?;
    let result = catalogue::list_stores(state.catalogue.as_ref(), page).await?;
    Ok(HttpResponse::Ok().json(Paginated::new(result, "/stores/", &pairs, StoreDto::from)))
}

/// One store.
#[utoipa::path(
    get, path = "/stores/{store_id}/", tag = "catalogue",
    params(("store_id" = i64, Path, minimum = 1, description = "Store id")),
    responses(
        (status = 200, body = StoreDto),
        (status = 404),
    )
)]
pub async fn get_store(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id("store", &path)?;
    let store = catalogue::get_store(state.catalogue.as_ref(), id).await?;
    Ok(HttpResponse::Ok().json(StoreDto::from(store)))
}
