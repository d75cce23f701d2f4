//! One way in for every write: each write route gets the same malformed bodies — an array, a
//! scalar, invalid UTF-8 in a field it reads and in one it does not, an unknown field (nested
//! too), an empty PATCH — and answers each with the same status, naming what is wrong, and
//! writes nothing. The valid body of each route is sent last and succeeds, so the refusals are
//! about the body and nothing else.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{problem_fields, TestApp};

/// A write route and a body it accepts.
struct Route {
    method: Method,
    path: &'static str,
    valid: Value,
}

fn routes() -> Vec<Route> {
    let route = |method: Method, path, valid| Route { method, path, valid };
    vec![
        route(
            Method::POST,
            "/orders/",
            json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]}),
        ),
        route(
            Method::POST,
            "/stores/1/inventory/1/adjustments/",
            json!({"delta": 2, "reason": "restock", "note": "van"}),
        ),
        route(Method::POST, "/categories/", json!({"name": "Dairy"})),
        route(Method::PATCH, "/categories/1/", json!({"name": "Drinks"})),
        route(
            Method::POST,
            "/products/",
            json!({"title": "Kefir", "price": "1.50", "category_id": 1}),
        ),
        route(Method::PATCH, "/products/1/", json!({"title": "Sencha"})),
        route(
            Method::POST,
            "/stores/",
            json!({"name": "Foz", "location": "Porto"}),
        ),
        route(Method::PATCH, "/stores/1/", json!({"location": "Lisboa"})),
    ]
}

/// Everything a write can change, as one number: any write moves it.
async fn fingerprint(app: &TestApp) -> i64 {
    app.db
        .scalar(
            "SELECT (SELECT coalesce(sum(hashtext(t::text)), 0) FROM categories t)
                  + (SELECT coalesce(sum(hashtext(t::text)), 0) FROM products t)
                  + (SELECT coalesce(sum(hashtext(t::text)), 0) FROM stores t)
                  + (SELECT coalesce(sum(hashtext(t::text)), 0) FROM inventory t)
                  + (SELECT count(*) FROM orders) * 1000003
                  + (SELECT count(*) FROM stock_adjustments) * 1000033 AS n",
        )
        .await
}

/// The valid body's JSON text with `extra` spliced in as its first field.
fn with_first_field(valid: &Value, extra: &[u8]) -> Vec<u8> {
    let text = valid.to_string();
    let mut body = b"{".to_vec();
    body.extend_from_slice(extra);
    body.push(b',');
    body.extend_from_slice(&text.as_bytes()[1..]);
    body
}

/// The valid body with its first string value's text replaced by invalid UTF-8, or (a body
/// with no string) its first field's value replaced by a string of invalid UTF-8.
fn invalid_utf8_in_a_known_field(valid: &Value) -> Vec<u8> {
    let object = valid.as_object().unwrap();
    let (name, _) = object
        .iter()
        .find(|(_, value)| value.is_string())
        .unwrap_or_else(|| object.iter().next().unwrap());
    let mut rest = object.clone();
    rest.remove(name);
    let mut field = format!("\"{name}\":\"a").into_bytes();
    field.extend_from_slice(b"\xff\xfe\"");
    if rest.is_empty() {
        let mut body = b"{".to_vec();
        body.extend_from_slice(&field);
        body.push(b'}');
        body
    } else {
        with_first_field(&Value::Object(rest), &field)
    }
}

async fn send(app: &TestApp, token: &str, route: &Route, body: Vec<u8>) -> (u16, Value) {
    let response = app
        .staff(route.method.clone(), route.path, token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_write_reads_its_body_one_way_and_writes_nothing_when_it_is_refused() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("buyer", &[]).await;
    let before = fingerprint(&app).await;
    for route in routes() {
        let what = format!("{} {}", route.method, route.path);
        let valid = &route.valid;
        let values: Vec<Value> = valid.as_object().unwrap().values().cloned().collect();
        let mut refused: Vec<(&str, Vec<u8>, u16)> = vec![
            (
                "an array of the values",
                Value::Array(values).to_string().into_bytes(),
                400,
            ),
            (
                "an array holding the body",
                json!([valid]).to_string().into_bytes(),
                400,
            ),
            ("a number", b"42".to_vec(), 400),
            ("a string", b"\"{}\"".to_vec(), 400),
            ("null", b"null".to_vec(), 400),
            (
                "invalid UTF-8 in a known field",
                invalid_utf8_in_a_known_field(valid),
                400,
            ),
            (
                "invalid UTF-8 in an unknown field",
                with_first_field(valid, b"\"x\":\"\xff\""),
                400,
            ),
            (
                "an unknown field",
                with_first_field(valid, b"\"colour\":\"red\""),
                422,
            ),
            ("the body twice", format!("{valid}{valid}").into_bytes(), 400),
        ];
        if route.method == Method::PATCH {
            refused.push(("an empty change", b"{}".to_vec(), 422));
        }
        for (case, body, status) in refused {
            let (got, problem) = send(&app, &token, &route, body).await;
            assert_eq!(got, status, "{what}, {case}: {problem}");
            assert_eq!(problem["status"], status, "{what}, {case}: {problem}");
            if case == "an unknown field" {
                assert_eq!(problem_fields(&problem), ["colour"], "{what}: {problem}");
            }
            assert_eq!(fingerprint(&app).await, before, "{what}, {case} wrote something");
        }
    }
    // The valid bodies are taken: what was refused was the body alone.
    for route in routes() {
        let (status, body) = send(&app, &token, &route, route.valid.to_string().into_bytes()).await;
        assert!(
            status == 200 || status == 201,
            "{} {}: {status} {body}",
            route.method,
            route.path
        );
    }
}

#[tokio::test]
async fn an_order_refuses_lines_written_as_arrays_and_names_unknown_fields_in_lines() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let before = fingerprint(&app).await;
    // serde would read a struct from an array of its fields: the API takes objects only.
    for body in [json!([1, [[1, 1]]]), json!({"store_id": 1, "items": [[1, 1]]})] {
        let response = app.post_order(body.clone()).await;
        assert_eq!(response.status(), 400, "{body}");
        let problem: Value = response.json().await.unwrap();
        if body.is_object() {
            assert_eq!(problem_fields(&problem), ["items[0]"], "{problem}");
        }
    }
    let response = app
        .post_order(json!({"store_id": 1, "gift": true, "items": [
            {"product_id": 1, "quantity_requested": 1},
            {"product_id": 2, "quantity_requested": 0, "colour": "red"}]}))
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        problem_fields(&problem),
        ["items[1].quantity_requested", "gift", "items[1].colour"],
        "{problem}"
    );
    assert_eq!(fingerprint(&app).await, before);
}
