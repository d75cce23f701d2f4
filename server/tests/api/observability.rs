//! `GET /metrics` moves as requests happen, labels routes by template, and `traceparent` is
//! taken, answered and stored with the jobs a request writes; `GET /docs` serves Swagger UI.

use serde_json::json;

use crate::helpers::TestApp;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// The value of the sample of `name` whose labels include every `label="value"` of `labels`;
/// 0 when there is none (a labelled counter appears only once it has moved).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let matches: Vec<f64> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} ")))
        .filter(|line| {
            labels
                .iter()
                .all(|(key, value)| line.contains(&format!("{key}=\"{value}\"")))
        })
        .map(|line| line.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(matches.len() <= 1, "{name} {labels:?} matches {matches:?}");
    matches.first().copied().unwrap_or(0.0)
}

async fn metrics(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    response.text().await.unwrap()
}

pub(crate) async fn metric(app: &TestApp, name: &str, labels: &[(&str, &str)]) -> f64 {
    sample(&metrics(app).await, name, labels)
}

#[tokio::test]
async fn a_confirmed_order_counts_one_and_a_rejected_one_counts_apart() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let confirmed = [("status", "confirmed")];
    let before = metric(&app, "aforro_orders_total", &confirmed).await;

    let response = app
        .post_order(json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]}))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        metric(&app, "aforro_orders_total", &confirmed).await,
        before + 1.0
    );
    assert_eq!(
        metric(&app, "aforro_orders_total", &[("status", "rejected")]).await,
        0.0
    );

    // More than the stock: rejected, and the confirmed count stays.
    let response = app
        .post_order(json!({"store_id": 1, "items": [{"product_id": 2, "quantity_requested": 50}]}))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        metric(&app, "aforro_orders_total", &confirmed).await,
        before + 1.0
    );
    assert_eq!(
        metric(&app, "aforro_orders_total", &[("status", "rejected")]).await,
        1.0
    );
}

#[tokio::test]
async fn a_cached_read_counts_a_hit_under_its_route() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let route = "/stores/{store_id}/inventory";
    let first = app.get("/stores/1/inventory/").await;
    assert_eq!(first.headers()["x-cache"], "MISS");
    let hits = metric(
        &app,
        "aforro_cache_requests_total",
        &[("route", route), ("result", "hit")],
    )
    .await;
    assert_eq!(hits, 0.0);

    let second = app.get("/stores/1/inventory/").await;
    assert_eq!(second.headers()["x-cache"], "HIT");
    let text = metrics(&app).await;
    assert_eq!(
        sample(
            &text,
            "aforro_cache_requests_total",
            &[("route", route), ("result", "hit")]
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            "aforro_cache_requests_total",
            &[("route", route), ("result", "miss")]
        ),
        1.0
    );
}

#[tokio::test]
async fn a_refused_suggest_counts_refused() {
    let app = TestApp::spawn_with(|settings| settings.cache.suggest_rate_limit_per_minute = 1).await;
    app.seed_basic().await;
    let route = "/api/search/suggest";
    assert_eq!(app.get("/api/search/suggest/?q=tea").await.status(), 200);
    assert_eq!(
        metric(
            &app,
            "aforro_rate_limit_decisions_total",
            &[("route", route), ("decision", "refused")]
        )
        .await,
        0.0
    );

    assert_eq!(app.get("/api/search/suggest/?q=tea").await.status(), 429);
    let text = metrics(&app).await;
    assert_eq!(
        sample(
            &text,
            "aforro_rate_limit_decisions_total",
            &[("route", route), ("decision", "refused")]
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            "aforro_rate_limit_decisions_total",
            &[("route", route), ("decision", "allowed")]
        ),
        1.0
    );
}

#[tokio::test]
async fn requests_are_labelled_by_route_template_never_by_path() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/orders/123/").await.status(), 404);
    assert_eq!(app.get("/no/such/path").await.status(), 404);

    let text = metrics(&app).await;
    let labels = [
        ("route", "/orders/{order_id}"),
        ("method", "GET"),
        ("status", "4xx"),
    ];
    assert_eq!(sample(&text, "aforro_http_requests_total", &labels), 1.0);
    assert_eq!(
        sample(&text, "aforro_http_request_duration_seconds_count", &labels[..2]),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            "aforro_http_requests_total",
            &[("route", "unmatched"), ("status", "4xx")]
        ),
        1.0
    );
    assert!(
        !text.contains("/orders/123"),
        "a raw path became a label:\n{text}"
    );
    assert!(!text.contains("/no/such"), "a raw path became a label:\n{text}");
    // Buckets fine enough for a cache hit (100 µs) and coarse enough for a search (100 ms).
    assert!(
        text.contains("le=\"0.0001\"") && text.contains("le=\"0.1\""),
        "{text}"
    );
}

#[tokio::test]
async fn the_pool_is_reported() {
    let app = TestApp::spawn().await;
    let text = metrics(&app).await;
    assert_eq!(sample(&text, "aforro_db_pool_max_connections", &[]), 8.0);
    assert!(
        text.contains("aforro_db_pool_connections{state=\"in_use\"}"),
        "{text}"
    );
    assert!(text.contains("aforro_db_pool_waiting 0"), "{text}");
    assert!(text.contains("aforro_redis_failures_total"), "{text}");
}

#[tokio::test]
async fn metrics_bind_addr_serves_metrics_apart_from_the_api() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let app = TestApp::spawn_with(|settings| settings.metrics_bind = Some(format!("127.0.0.1:{port}"))).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(
        app.get("/metrics").await.status(),
        404,
        "not on the API's address"
    );
    let text = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        sample(
            &text,
            "aforro_http_requests_total",
            &[("route", "/healthz"), ("status", "2xx")]
        ),
        1.0
    );
}

#[tokio::test]
async fn a_traceparent_is_continued_answered_and_stored_with_the_confirmation_job() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let response = app
        .client
        .post(app.url("/orders/"))
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .json(&json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let answered = response.headers()["traceparent"].to_str().unwrap().to_owned();
    let parts: Vec<&str> = answered.split('-').collect();
    assert_eq!(parts.len(), 4, "{answered}");
    assert_eq!(parts[1], TRACE_ID, "the caller's trace goes on");
    assert_ne!(parts[2], "00f067aa0ba902b7", "with a span of the server's own");
    let stored = app
        .db
        .scalar(&format!(
            "SELECT count(*) AS n FROM outbox WHERE kind = 'order_confirmation' AND trace_id = '{TRACE_ID}'"
        ))
        .await;
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn without_a_valid_traceparent_a_new_trace_starts() {
    let app = TestApp::spawn().await;
    let mut seen = Vec::new();
    for sent in [None, Some("00-garbage-01")] {
        let mut request = app.client.get(app.url("/healthz"));
        if let Some(header) = sent {
            request = request.header("traceparent", header);
        }
        let response = request.send().await.unwrap();
        let answered = response.headers()["traceparent"].to_str().unwrap().to_owned();
        let trace_id = answered.split('-').nth(1).unwrap().to_owned();
        assert_eq!(trace_id.len(), 32, "{answered}");
        assert!(trace_id.bytes().all(|b| b.is_ascii_hexdigit()), "{answered}");
        seen.push(trace_id);
    }
    assert_ne!(seen[0], seen[1], "each request its own trace");
}

#[tokio::test]
async fn docs_serve_swagger_ui_from_the_binary() {
    let app = TestApp::spawn().await;
    for path in ["/docs", "/docs/"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("swagger-ui"), "{html}");
        assert!(html.contains("<base href=\"/docs/\">"), "{html}");
    }
    let initializer = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(initializer.status(), 200);
    assert!(initializer.text().await.unwrap().contains("/openapi.json"));
    assert_eq!(app.get("/docs/swagger-ui-bundle.js").await.status(), 200);
    assert_eq!(app.get("/docs/nothing.js").await.status(), 404);
}
