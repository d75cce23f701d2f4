//! `POST /categories/`, `PATCH /categories/{id}/`, `POST /products/`, `PATCH /products/{id}/`,
//! `POST /stores/`, `PATCH /stores/{id}/`: staff with a catalogue token.
//!
//! Each handler authenticates (the [`Staff`] extractor: 401) and authorises (403) before it
//! reads the body or looks at what the path names; then it reads the body the one way every
//! write does ([`read_json`]: a wrong JSON type is a 400 naming the field, an unknown field a
//! 422) into its type in [`super::bodies`], and leaves every rule (nulls, lengths, prices,
//! an empty change, …: a 422 listing every bad field) to the core's use-case, which also
//! invalidates the cache before the response is sent.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::auth::{authorize, Action, Principal};
use aforro_core::cache::WritePorts;
use aforro_core::catalogue::{self, CatalogueWriter};
use serde::Serialize;

use super::bodies::{
    CatalogueBody, CategoryBody, NewProductBody, NewStoreBody, ProductChangesBody, StoreChangesBody,
};
use super::{product_dto, StoreDto};
use crate::auth::Staff;
use crate::extract::{path_id, read_json};
use crate::problem::ApiError;
use crate::routes::search::{CategoryDto, ProductDto};
use crate::state::AppState;

/// Reads a write's body (the one way: [`read_json`]) as the core's input.
async fn read_input<B: CatalogueBody>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<B::Input, ApiError> {
    let body = read_json::<B>(req, payload.into_inner()).await?;
    Ok(body.value.into_input(body.unknown))
}

fn catalogue_staff(staff: &Staff) -> Result<&Principal, ApiError> {
    authorize(&staff.0, Action::WriteCatalogue)?;
    Ok(&staff.0)
}

fn writer(state: &AppState) -> CatalogueWriter<'_> {
    WritePorts {
        repository: state.catalogue.as_ref(),
        cache: state.cache.as_ref(),
        outbox: state.outbox.as_ref(),
    }
}

fn created(location: String, body: impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}

/// Creates a category.
#[utoipa::path(
    post, path = "/categories/", tag = "catalogue",
    request_body = CategoryBody,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CategoryDto, headers(("Location" = String, description = "/categories/{id}/"))),
        (status = 403, description = "A store token"),
        (status = 409, description = "Another category has the name, ignoring case"),
    )
)]
pub async fn create_category(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = catalogue_staff(&staff)?;
    let input = read_input::<CategoryBody>(&req, payload).await?;
    let category = catalogue::create_category(writer(&state), principal, &input).await?;
    Ok(created(
        format!("/categories/{}/", category.id),
        CategoryDto::from(category),
    ))
}

/// Renames a category; search finds its products by the new name at once.
#[utoipa::path(
    patch, path = "/categories/{category_id}/", tag = "catalogue",
    params(("category_id" = i64, Path, minimum = 1, description = "Category id")),
    request_body = CategoryBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = CategoryDto),
        (status = 403, description = "A store token"),
        (status = 404, description = "Unknown category"),
        (status = 409, description = "Another category has the name, ignoring case"),
    )
)]
pub async fn rename_category(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = catalogue_staff(&staff)?;
    let id = path_id("category", &path)?;
    let input = read_input::<CategoryBody>(&req, payload).await?;
    let category = catalogue::rename_category(writer(&state), principal, id, &input).await?;
    Ok(HttpResponse::Ok().json(CategoryDto::from(category)))
}

/// Creates a product (with no stock anywhere); search and suggest find it at once.
#[utoipa::path(
    post, path = "/products/", tag = "catalogue",
    request_body = NewProductBody,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ProductDto, headers(("Location" = String, description = "/products/{id}/"))),
        (status = 403, description = "A store token"),
        (status = 422, description = "Invalid fields (an unknown category_id too), all listed"),
    )
)]
pub async fn create_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = catalogue_staff(&staff)?;
    let input = read_input::<NewProductBody>(&req, payload).await?;
    let product = catalogue::create_product(writer(&state), principal, &input).await?;
    Ok(created(
        format!("/products/{}/", product.id),
        product_dto(product),
    ))
}

/// Changes a product; every read (search, suggest, inventory, cached or not) shows the change
/// once this answers.
#[utoipa::path(
    patch, path = "/products/{product_id}/", tag = "catalogue",
    params(("product_id" = i64, Path, minimum = 1, description = "Product id")),
    request_body = ProductChangesBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProductDto),
        (status = 403, description = "A store token"),
        (status = 404, description = "Unknown product"),
        (status = 422, description = "Invalid fields (an unknown category_id too), or an empty change"),
    )
)]
pub async fn update_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = catalogue_staff(&staff)?;
    let id = path_id("product", &path)?;
    let input = read_input::<ProductChangesBody>(&req, payload).await?;
    let product = catalogue::update_product(writer(&state), principal, id, &input).await?;
    Ok(HttpResponse::Ok().json(product_dto(product)))
}

/// Creates a store.
#[utoipa::path(
    post, path = "/stores/", tag = "catalogue",
    request_body = NewStoreBody,
    security(("bearer" = [])),
    responses(
        (status = 201, body = StoreDto, headers(("Location" = String, description = "/stores/{id}/"))),
        (status = 403, description = "A store token"),
    )
)]
pub async fn create_store(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = catalogue_staff(&staff)?;
    let input = read_input::<NewStoreBody>(&req, payload).await?;
    let store = catalogue::create_store(writer(&state), principal, &input).await?;
    Ok(created(format!("/stores/{}/", store.id), StoreDto::from(store)))
}

/// Changes a store's name or location.
#[utoipa::path(
    patch, path = "/stores/{store_id}/", tag = "catalogue",
    params(("store_id" = i64, Path, minimum = 1, description = "Store id")),
    request_body = StoreChangesBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = StoreDto),
        (status = 403, description = "A store token"),
        (status = 404, description = "Unknown store"),
        (status = 422, description = "Invalid fields, or an empty change"),
    )
)]
pub async fn update_store(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = catalogue_staff(&staff)?;
    let id = path_id("store", &path)?;
    let input = read_input::<StoreChangesBody>(&req, payload).await?;
    let store = catalogue::update_store(writer(&state), principal, id, &input).await?;
    Ok(HttpResponse::Ok().json(StoreDto::from(store)))
}
