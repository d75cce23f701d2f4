//! The staff console: server-rendered pages under `/console/` for the people who run the
//! stores — a second inbound shell beside the JSON API, on the same core use-cases, token
//! scopes and guarantees. See docs/console.md (sessions, CSRF, scopes, how to add a page).
//!
//! Handlers here parse a form or a query, call one core use-case and render a template;
//! no SQL and no business rule lives in them. Templates are askama's, checked when the server
//! compiles (a misspelt field is a build error) and escaped by default.

mod categories;
mod editing;
mod form;
mod headers;
mod inventory;
mod movements;
mod orders;
mod overview;
mod page;
mod product_form;
mod products;
mod session;
mod sign_in;
mod stores;

use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};

pub use page::ConsoleError;
pub use session::COOKIE;

use crate::problem::ApiError;

/// The console's one stylesheet, built into the binary (no CDN, no file to deploy beside it).
const STYLESHEET: &str = include_str!("../../assets/console.css");

/// Registers `/console/…`. Paths are registered without their trailing slash (the app's
/// `NormalizePath` trims it), as the API's are.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .wrap(from_fn(headers::security_headers))
            .route("", web::get().to(overview::overview))
            .route("/login", web::post().to(sign_in::sign_in))
            .route("/logout", web::post().to(sign_in::sign_out))
            .route("/assets/console.css", web::get().to(stylesheet))
            .route("/products", web::get().to(products::list))
            .route("/products", web::post().to(products::create))
            .route("/products/{product_id}", web::get().to(products::show))
            .route("/products/{product_id}", web::post().to(products::update))
            .route("/categories", web::get().to(categories::list))
            .route("/categories", web::post().to(categories::create))
            .route("/categories/{category_id}", web::post().to(categories::rename))
            // `/stores/{id}` is the store's stock; its edit page is a path of its own below it
            // (a segment never spans a `/`, so neither shadows the other).
            .route("/stores", web::get().to(stores::list))
            .route("/stores", web::post().to(stores::create))
            .route("/stores/{store_id}/edit", web::get().to(stores::edit_page))
            .route("/stores/{store_id}/edit", web::post().to(stores::edit))
            .route("/stores/{store_id}", web::get().to(inventory::store_page))
            .route(
                "/stores/{store_id}/inventory/{product_id}/adjust",
                web::post().to(inventory::adjust),
            )
            .route(
                "/stores/{store_id}/inventory/{product_id}/movements",
                web::get().to(movements::movements),
            )
            .route("/stores/{store_id}/orders", web::get().to(orders::store_orders))
            .route("/orders/{order_id}", web::get().to(orders::order_page))
            .route("/orders/{order_id}/cancel", web::post().to(orders::cancel))
            .default_service(web::to(not_found)),
    );
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .body(STYLESHEET)
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    Err(ApiError::NotFound(format!("there is no console page at {}", req.path())).into())
}
