//! Who may adjust stock and read movements: 401 without a valid token, 403 for a store token
//! outside its stores, both before the body is read and before anything is looked up; 404
//! only for a caller who may know.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::stock::{adjustments_path, adjustments_stored, get_json, movements_path, restock};

#[tokio::test]
async fn without_a_valid_token_both_endpoints_are_401_whatever_the_body() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let revoked = app.staff_token("old-tablet", &[]).await;
    app.db
        .run_sql("UPDATE staff_tokens SET revoked_at = now() WHERE name = 'old-tablet'")
        .await;
    let unknown = format!("afr_{}", "0".repeat(64));
    let headers: [Option<String>; 5] = [
        None,
        Some("Bearer not-a-token".into()),
        Some(format!("Basic {unknown}")),
        Some(format!("Bearer {unknown}")),
        Some(format!("Bearer {revoked}")),
    ];
    for authorization in &headers {
        for (method, path, body) in [
            (
                Method::POST,
                adjustments_path(1, 1),
                "{\"delta\": 1, \"reason\": \"restock\"}",
            ),
            (Method::POST, adjustments_path(1, 1), "{not json"),
            (Method::POST, adjustments_path(99, 99), "{\"delta\": 0}"),
            (Method::GET, movements_path(1, 1), ""),
            (Method::GET, movements_path(99, 1), ""),
        ] {
            let mut request = app
                .client
                .request(method.clone(), app.url(&path))
                .header("content-type", "application/json")
                .body(body);
            if let Some(value) = authorization {
                request = request.header("authorization", value);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{method} {path} with {authorization:?}");
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
            assert_eq!(response.headers()["content-type"], "application/problem+json");
        }
    }
    assert_eq!(adjustments_stored(&app).await, 0);
    assert_eq!(app.db.stock(1, 1).await, 5);
}

#[tokio::test]
async fn a_store_token_elsewhere_is_403_for_stores_that_exist_or_not_and_whatever_the_body() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let tablet = app.staff_token("tablet", &[2]).await;
    let mut answers = Vec::new();
    for store in ["1", "99", "0", "abc"] {
        for (content_type, body) in [
            ("application/json", "{\"delta\": 1, \"reason\": \"restock\"}"),
            ("application/json", "{not json"),
            ("text/plain", "hello"),
        ] {
            let response = app
                .staff(Method::POST, &adjustments_path(store, 1), &tablet)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "store {store}, {body}");
            let problem: Value = response.json().await.unwrap();
            answers.push(problem["detail"].as_str().unwrap().replace(store, "N"));
        }
        let (status, _) = get_json(&app, &movements_path(store, 1), &tablet).await;
        assert_eq!(status, 403, "movements of store {store}");
    }
    // The same answer for store 1 (exists) and store 99 (does not).
    assert_eq!(answers[0], answers[3]);
    assert_eq!(adjustments_stored(&app).await, 0);
    assert_eq!(app.db.stock(1, 1).await, 5);
}

#[tokio::test]
async fn an_unknown_store_or_product_is_404_for_a_catalogue_token() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let buyer = app.staff_token("buyer", &[]).await;
    for (store, product) in [
        ("99", "1"),
        ("1", "99"),
        ("abc", "1"),
        ("1", "abc"),
        ("0", "1"),
        ("1", "-2"),
    ] {
        let response = app
            .staff(Method::POST, &adjustments_path(store, product), &buyer)
            .json(&restock(1))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "POST {store}/{product}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let (status, _) = get_json(&app, &movements_path(store, product), &buyer).await;
        assert_eq!(status, 404, "GET {store}/{product}");
    }
    assert_eq!(adjustments_stored(&app).await, 0);
    assert_eq!(app.db.scalar("SELECT count(*) AS n FROM inventory").await, 4);
}
