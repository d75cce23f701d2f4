//! The OpenAPI 3.1 document, served at `GET /openapi.json`.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use crate::problem::{Problem, ProblemField};
use crate::routes::{health, inventory, orders, search};

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
        search::search_products,
        search::suggest,
        health::healthz,
        health::readyz,
    ),
    components(schemas(Problem, ProblemField))
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
