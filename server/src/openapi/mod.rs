//! The OpenAPI 3.1 document, served at `GET /openapi.json`, and its browsable view at `GET /docs`.

use std::sync::{Arc, LazyLock};

use actix_web::http::header;
use actix_web::{web, HttpResponse, ResponseError};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::Config;

use crate::problem::{ApiError, Problem, ProblemField};

mod problems;
mod strict;

use crate::routes::catalogue::{reads as catalogue_reads, writes as catalogue_writes};
use crate::routes::{cancellation, health, inventory, movements, orders, search, stock};
pub use problems::ProblemResponses;
pub use strict::StrictBodies;

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
        cancellation::cancel_order,
        orders::list_store_orders,
        inventory::list_store_inventory,
        inventory::store_inventory_summary,
        stock::adjust_stock,
        movements::list_movements,
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
    modifiers(&BearerScheme, &StrictBodies, &ProblemResponses)
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

/// Every operation of a path, with its method in lower case.
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> Vec<(&'static str, &mut utoipa::openapi::path::Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("options", item.options.as_mut()),
        ("head", item.head.as_mut()),
        ("patch", item.patch.as_mut()),
        ("trace", item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|operation| (method, operation)))
    .collect()
}

/// `GET /openapi.json`.
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// Where Swagger UI finds the document: the one `GET /openapi.json` serves.
fn docs_config() -> Arc<Config<'static>> {
    static CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| Arc::new(Config::from("/openapi.json")));
    Arc::clone(&CONFIG)
}

/// `GET /docs`: Swagger UI, a browsable view of `/openapi.json`. Its assets are compiled into
/// the binary (utoipa-swagger-ui's `vendored` feature), so it works with no network.
///
/// Paths are matched without their trailing slash, so `/docs` and `/docs/` both land here and
/// the page cannot tell which the browser shows: a `<base>` makes its relative asset links
/// resolve under `/docs/` either way.
pub async fn docs_index() -> HttpResponse {
    match utoipa_swagger_ui::serve("index.html", docs_config()) {
        Ok(Some(file)) => {
            let html =
                String::from_utf8_lossy(&file.bytes).replacen("<head>", "<head><base href=\"/docs/\">", 1);
            HttpResponse::Ok().content_type(file.content_type).body(html)
        }
        _ => HttpResponse::NotFound().finish(),
    }
}

/// `GET /docs/{file}`: Swagger UI's assets (scripts, styles, its initializer naming
/// `/openapi.json`).
pub async fn docs_file(file: web::Path<String>) -> HttpResponse {
    match utoipa_swagger_ui::serve(&file, docs_config()) {
        Ok(Some(file)) => {
            let mut response = HttpResponse::Ok();
            if file.gzpipped {
                response.insert_header((header::CONTENT_ENCODING, header::ContentEncoding::Gzip));
            }
            response
                .content_type(file.content_type)
                .body(file.bytes.into_owned())
        }
        Ok(None) => ApiError::NotFound(format!("no such file in /docs: {file}")).error_response(),
        Err(error) => ApiError::Core(aforro_core::Error::internal(error.to_string())).error_response(),
    }
}
