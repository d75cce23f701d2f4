//! Transport-level rules of the contract: error bodies, content types, limits, slashes, docs.

use serde_json::{json, Value};

use crate::helpers::TestApp;

async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["type"], "about:blank");
    assert!(body["title"].is_string() && body["detail"].is_string());
    body
}

#[tokio::test]
async fn malformed_bodies_are_4xx_problems() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let post = |body: &'static str, content_type: Option<&'static str>| {
        let mut request = app.client.post(app.url("/orders/")).body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request.send()
    };
    assert_problem(post("{not json", Some("application/json")).await.unwrap(), 400).await;
    assert_problem(post("", Some("application/json")).await.unwrap(), 400).await;
    assert_problem(post("[1,2]", Some("application/json")).await.unwrap(), 400).await;
    assert_problem(
        post(r#"{"store_id": 1} trailing"#, Some("application/json"))
            .await
            .unwrap(),
        400,
    )
    .await;
    let wrong_type = post(r#"{"store_id": "1", "items": []}"#, Some("application/json"))
        .await
        .unwrap();
    let body = assert_problem(wrong_type, 400).await;
    assert_eq!(body["errors"][0]["field"], "store_id");
    let fractional = post(
        r#"{"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1.5}]}"#,
        Some("application/json"),
    );
    let body = assert_problem(fractional.await.unwrap(), 400).await;
    assert_eq!(body["errors"][0]["field"], "items[0].quantity_requested");
    assert_problem(post(r#"{"store_id": 1, "items": []}"#, None).await.unwrap(), 415).await;
    assert_problem(
        post(r#"{"store_id": 1, "items": []}"#, Some("text/plain"))
            .await
            .unwrap(),
        415,
    )
    .await;

    let huge = format!(
        r#"{{"store_id": 1, "items": [], "padding": "{}"}}"#,
        "x".repeat(70 * 1024)
    );
    let response = app
        .client
        .post(app.url("/orders/"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_problem(response, 413).await;

    let bad_key = app
        .client
        .post(app.url("/orders/"))
        .header("Idempotency-Key", "k".repeat(300))
        .json(&json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]}))
        .send()
        .await
        .unwrap();
    assert_problem(bad_key, 422).await;
    assert_eq!(app.db.scalar("SELECT count(*) AS n FROM orders").await, 0);
}

#[tokio::test]
async fn paths_work_with_and_without_trailing_slash() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let order = json!({"store_id": 2, "items": [{"product_id": 1, "quantity_requested": 1}]});
    for path in ["/orders/", "/orders"] {
        let response = app.client.post(app.url(path)).json(&order).send().await.unwrap();
        assert_eq!(response.status(), 201, "POST {path}");
    }
    for path in [
        "/orders/1/",
        "/orders/1",
        "/stores/1/inventory",
        "/stores/1/orders",
        "/healthz",
        "/healthz/",
    ] {
        assert_eq!(app.get(path).await.status(), 200, "GET {path}");
    }
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_problems() {
    let app = TestApp::spawn().await;
    assert_problem(app.get("/nope/").await, 404).await;
    assert_problem(
        app.client.delete(app.url("/orders/1/")).send().await.unwrap(),
        405,
    )
    .await;
}

#[tokio::test]
async fn health_readiness_and_openapi() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({"postgres": "ok", "redis": "ok", "redis_failed_operations": 0})
    );

    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/orders/",
        "/orders/{order_id}/",
        "/stores/{store_id}/orders/",
        "/stores/{store_id}/inventory/",
        "/stores/{store_id}/inventory/summary/",
        "/api/search/products/",
        "/api/search/suggest/",
        "/healthz",
        "/readyz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    for path in ["/stores/1/inventory/", "/healthz", "/api/search/products/?q=tea"] {
        let get = app.get(path).await;
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "{path}");
        assert_eq!(
            head.headers()["content-type"],
            get.headers()["content-type"],
            "{path}"
        );
        assert!(head.bytes().await.unwrap().is_empty(), "{path}: no body");
    }
    let missing = app.client.head(app.url("/orders/999/")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn a_method_a_path_does_not_serve_is_405_with_allow() {
    let app = TestApp::spawn().await;
    let response = app.client.delete(app.url("/orders/")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let response = app
        .client
        .post(app.url("/stores/1/inventory/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            response.status().as_u16(),
            response.headers()["allow"].to_str().unwrap()
        ),
        (405, "GET, HEAD")
    );
    // An unknown path stays a 404.
    assert_eq!(app.get("/nowhere/").await.status(), 404);
}
