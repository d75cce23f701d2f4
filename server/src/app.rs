//! Wiring: adapters into ports, ports into the HTTP app. [`Application::build`] is what `main`
//! and the integration tests both start (tests bind port 0).

use std::net::TcpListener;

use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{from_fn, NormalizePath, TrailingSlash};
use actix_web::{guard, web, App, HttpRequest, HttpResponse, HttpServer, ResponseError, Route};

use crate::config::Settings;
use crate::extract::BodyDeadline;
use crate::observe::{metrics, observe};
use crate::openapi::{docs_file, docs_index, openapi_json};
use crate::problem::ApiError;
use crate::routes::{cancellation, catalogue, health, inventory, movements, orders, search, stock};
use crate::shutdown::{stop_on_signals, Draining};
use crate::state::AppState;

/// Registers every route. Paths are registered without their trailing slash;
/// `NormalizePath::trim` maps `/orders/` onto `/orders` internally, with no redirect. A method
/// a path does not serve is a 405 problem with an `Allow` header. Every GET route also answers
/// HEAD (same status and headers; actix-http leaves the body out), as HTTP clients and proxies
/// expect.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let get = |path: &str, handler| (path.to_owned(), "GET, HEAD", handler);
    let routes: Vec<(String, &'static str, Route)> = vec![
        ("/orders".to_owned(), "POST", web::post().to(orders::place_order)),
        get("/orders/{order_id}", read().to(orders::get_order)),
        (
            "/orders/{order_id}/cancel".to_owned(),
            "POST",
            web::post().to(cancellation::cancel_order),
        ),
        get("/stores/{store_id}/orders", read().to(orders::list_store_orders)),
        get(
            "/stores/{store_id}/inventory",
            read().to(inventory::list_store_inventory),
        ),
        get(
            "/stores/{store_id}/inventory/summary",
            read().to(inventory::store_inventory_summary),
        ),
        (
            "/stores/{store_id}/inventory/{product_id}/adjustments".to_owned(),
            "POST",
            web::post().to(stock::adjust_stock),
        ),
        get(
            "/stores/{store_id}/inventory/{product_id}/movements",
            read().to(movements::list_movements),
        ),
        get("/api/search/products", read().to(search::search_products)),
        get("/api/search/suggest", read().to(search::suggest)),
        get("/healthz", read().to(health::healthz)),
        get("/readyz", read().to(health::readyz)),
        get("/openapi.json", read().to(openapi_json)),
        get("/docs", read().to(docs_index)),
        get("/docs/{file}", read().to(docs_file)),
    ];
    for (path, allow, route) in routes {
        cfg.service(
            web::resource(path)
                .route(route)
                .default_service(web::to(move |req: HttpRequest| method_not_allowed(req, allow))),
        );
    }
    // The catalogue: resources read by anyone and written by staff, several methods each.
    // `/stores/{store_id}` matches no longer path, so `/stores/{store_id}/orders` and the
    // inventory routes above stay as they are.
    let catalogue_routes: Vec<(&str, &'static str, Vec<Route>)> = vec![
        (
            "/categories",
            "GET, HEAD, POST",
            vec![
                read().to(catalogue::reads::list_categories),
                web::post().to(catalogue::writes::create_category),
            ],
        ),
        (
            "/categories/{category_id}",
            "GET, HEAD, PATCH",
            vec![
                read().to(catalogue::reads::get_category),
                web::patch().to(catalogue::writes::rename_category),
            ],
        ),
        (
            "/products",
            "POST",
            vec![web::post().to(catalogue::writes::create_product)],
        ),
        (
            "/products/{product_id}",
            "GET, HEAD, PATCH",
            vec![
                read().to(catalogue::reads::get_product),
                web::patch().to(catalogue::writes::update_product),
            ],
        ),
        (
            "/stores",
            "GET, HEAD, POST",
            vec![
                read().to(catalogue::reads::list_stores),
                web::post().to(catalogue::writes::create_store),
            ],
        ),
        (
            "/stores/{store_id}",
            "GET, HEAD, PATCH",
            vec![
                read().to(catalogue::reads::get_store),
                web::patch().to(catalogue::writes::update_store),
            ],
        ),
    ];
    for (path, allow, routes) in catalogue_routes {
        let resource = routes
            .into_iter()
            .fold(web::resource(path), |resource, route| resource.route(route));
        cfg.service(
            resource.default_service(web::to(move |req: HttpRequest| method_not_allowed(req, allow))),
        );
    }
}

/// A route for GET and HEAD.
fn read() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

async fn method_not_allowed(req: HttpRequest, allow: &'static str) -> HttpResponse {
    let mut response = ApiError::MethodNotAllowed(format!(
        "{} is not allowed on {}; use {allow}",
        req.method(),
        req.path()
    ))
    .error_response();
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    response
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}

/// Registers `GET /metrics`: not rate limited, never cached (see [`metrics`]).
pub fn configure_metrics(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/metrics")
            .route(read().to(metrics::metrics))
            .default_service(web::to(|req: HttpRequest| method_not_allowed(req, "GET, HEAD"))),
    );
}

/// A bound, not yet running, HTTP server (and its metrics server, when it has one).
pub struct Application {
    port: u16,
    server: Server,
    metrics_server: Option<(u16, Server)>,
    draining: Draining,
    drain: Duration,
}

impl Application {
    /// Binds `settings.bind` and builds the server around `state`.
    pub fn build(settings: &Settings, state: AppState) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let draining = state.draining.clone();
        let state = web::Data::new(state);
        let request_timeout = Duration::from_secs(settings.request_timeout_seconds);
        // `/metrics` with the API, unless it has an address of its own.
        let metrics_listener = match &settings.metrics_bind {
            Some(bind) => Some(TcpListener::bind(bind)?),
            None => None,
        };
        let metrics_with_api = metrics_listener.is_none();
        let api_state = state.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                // The last wrap runs first: normalise the path before the route is matched and
                // recorded.
                .wrap(from_fn(observe))
                .wrap(NormalizePath::new(TrailingSlash::Trim))
                .app_data(api_state.clone())
                .app_data(BodyDeadline(request_timeout))
                .configure(configure)
                .configure(crate::console::configure)
                .configure(|cfg| {
                    if metrics_with_api {
                        configure_metrics(cfg);
                    }
                })
                .default_service(web::to(not_found))
        })
        // Signals are handled by `shutdown`, which drains before it stops the servers.
        .disable_signals()
        .shutdown_timeout(settings.shutdown_timeout_seconds)
        .client_request_timeout(request_timeout);
        if let Some(workers) = settings.http_workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        let metrics_server = match metrics_listener {
            Some(listener) => {
                let port = listener.local_addr()?.port();
                // One worker: a scrape every few seconds. Its own requests are not counted in
                // the API's metrics (no `observe`).
                let server = HttpServer::new(move || {
                    App::new()
                        .wrap(NormalizePath::new(TrailingSlash::Trim))
                        .app_data(state.clone())
                        .configure(configure_metrics)
                        .default_service(web::to(not_found))
                })
                .workers(1)
                .disable_signals()
                .shutdown_timeout(1)
                .listen(listener)?
                .run();
                Some((port, server))
            }
            None => None,
        };
        Ok(Self {
            port,
            server,
            metrics_server,
            draining,
            drain: Duration::from_secs(settings.shutdown_drain_seconds),
        })
    }

    /// The port of the separate metrics server (`METRICS_BIND_ADDR`), if there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(port, _)| *port)
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then drains and stops ([`crate::shutdown`]).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let mut handles = vec![self.server.handle()];
        handles.extend(self.metrics_server.as_ref().map(|(_, server)| server.handle()));
        let stopper = tokio::spawn(stop_on_signals(self.draining.clone(), self.drain, handles));
        let served = self.run().await;
        stopper.abort();
        served
    }

    /// Serves until the process ends, leaving signals alone: for tests, which run many apps in
    /// one process (a signal handler here would keep Ctrl-C from stopping them).
    pub async fn run(self) -> std::io::Result<()> {
        match self.metrics_server {
            Some((_, metrics)) => {
                let (api, metrics) = futures_util::join!(self.server, metrics);
                api.and(metrics)
            }
            None => self.server.await,
        }
    }
}
