//! The OpenAPI 3.1 document, served at `GET /openapi.json`.

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::problem::{Problem, ProblemField};
use crate::routes::catalogue::{reads as catalogue_reads, writes as catalogue_writes};
use crate::routes::{health, inventory, orders, search, stock};

/// Every endpoint and schema of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "aforro",
        description = "Retail backend: catalogue, per-store inventory, atomic orders."
    ),
    paths(
        orders::place_order,
        orders::get_order,
        orders::list_store_orders,
        inventory::list_store_inventory,
        inventory::store_inventory_summary,
        stock::adjust_stock,
        stock::list_movements,
        search::search_products,
        search::suggest,
        catalogue_reads::list_categories,
        catalogue_writes::create_category,
        catalogue_reads::get_category,
        catalogue_writes::rename_category,
        catalogue_writes::create_product,
        catalogue_reads::get_product,
        catalogue_writes::update_product,
        catalogue_reads::list_stores,
        catalogue_writes::create_store,
        catalogue_reads::get_store,
        catalogue_writes::update_store,
        health::healthz,
        health::readyz,
    ),
    components(schemas(Problem, ProblemField)),
    modifiers(&BearerScheme)
)]
pub struct ApiDoc;

/// The `bearer` security scheme that every staff write names (`security(("bearer" = []))`):
/// a token made by `server token create`.
pub struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some("A staff token made by `server token create` (shown once).".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// `GET /openapi.json`.
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
