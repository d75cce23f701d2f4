//! The catalogue: public reads, staff writes (authentication and scope before anything else,
//! every rule of the contract), and reads that follow a write at once, cached or not.

mod auth;
mod freshness;
mod reads;
mod writes;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::TestApp;

/// A running server with the basic catalogue and a catalogue token.
async fn staffed_app() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("buyer", &[]).await;
    (app, token)
}

/// A staff request with a JSON body: (status, Location, body).
async fn write(app: &TestApp, method: Method, path: &str, token: &str, body: Value) -> (u16, String, Value) {
    let response = app.staff(method, path, token).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, response.json().await.unwrap_or(Value::Null))
}

/// GET `path`: (status, X-Cache, body).
async fn read(app: &TestApp, path: &str) -> (u16, String, Value) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, cache, response.json().await.unwrap())
}
