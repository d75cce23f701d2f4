//! Who may write the catalogue: 401 and 403 come first — before the body is read, before
//! anything is validated, and whether or not the target exists.

use reqwest::Method;
use serde_json::Value;

use super::staffed_app;
use crate::helpers::TestApp;

/// Every catalogue write, on a target that exists and on one that does not.
const WRITES: [(&str, &str); 9] = [
    ("POST", "/categories/"),
    ("PATCH", "/categories/1/"),
    ("PATCH", "/categories/999/"),
    ("POST", "/products/"),
    ("PATCH", "/products/1/"),
    ("PATCH", "/products/999/"),
    ("POST", "/stores/"),
    ("PATCH", "/stores/1/"),
    ("PATCH", "/stores/999/"),
];

/// Sends every write with `authorization` (or none) and a body that is not even JSON, and
/// checks each answer is `status` problem+json.
async fn every_write_is(app: &TestApp, authorization: Option<&str>, status: u16) {
    for (method, path) in WRITES {
        let mut request = app
            .client
            .request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(path))
            .header("content-type", "application/json")
            .body("{not json");
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            status,
            "{method} {path} with {authorization:?}"
        );
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        if status == 401 {
            assert_eq!(challenge.as_deref(), Some("Bearer"), "{method} {path}");
        }
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], status);
    }
}

#[tokio::test]
async fn writes_without_a_valid_token_are_401_with_a_bearer_challenge() {
    let (app, token) = staffed_app().await;
    let unknown = format!("afr_{}", "0".repeat(64));
    every_write_is(&app, None, 401).await;
    every_write_is(&app, Some("Bearer"), 401).await;
    every_write_is(&app, Some("Bearer not-a-token"), 401).await;
    every_write_is(&app, Some(&format!("Basic {token}")), 401).await;
    every_write_is(&app, Some(&format!("Bearer {unknown}")), 401).await;

    app.db
        .run_sql("UPDATE staff_tokens SET revoked_at = now() WHERE name = 'buyer'")
        .await;
    every_write_is(&app, Some(&format!("Bearer {token}")), 401).await;
    assert_catalogue_unchanged(&app).await;
}

#[tokio::test]
async fn a_store_token_may_not_write_the_catalogue() {
    let (app, _) = staffed_app().await;
    let store_token = app.staff_token("till-1", &[1, 2]).await;
    every_write_is(&app, Some(&format!("Bearer {store_token}")), 403).await;
    assert_catalogue_unchanged(&app).await;
}

async fn assert_catalogue_unchanged(app: &TestApp) {
    assert_eq!(
        app.db
            .scalar(
                "SELECT (SELECT count(*) FROM categories) * 100 + (SELECT count(*) FROM products) * 10
                      + (SELECT count(*) FROM stores) AS n"
            )
            .await,
        2 * 100 + 4 * 10 + 2
    );
}
