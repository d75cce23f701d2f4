//! Transport-level rules of the contract: error bodies, content types, limits, slashes, docs.

use serde_json::{json, Value};

use crate::helpers::{problem_fields, TestApp};

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

#[tokio::test]
async fn every_integer_field_takes_a_whole_number_written_as_a_float_and_refuses_fractions() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    // Bodies: `1.0` / `1e0` are 1, in every integer field of an order.
    let response = app
        .post_order(json!({"store_id": 1.0, "items": [{"product_id": 1e0, "quantity_requested": 2.0}]}))
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (
            body["store_id"].as_i64(),
            body["items"][0]["quantity_requested"].as_i64()
        ),
        (Some(1), Some(2))
    );
    for (field, order) in [
        (
            "store_id",
            json!({"store_id": 1.5, "items": [{"product_id": 1, "quantity_requested": 1}]}),
        ),
        (
            "items[0].product_id",
            json!({"store_id": 1, "items": [{"product_id": 1.5, "quantity_requested": 1}]}),
        ),
        (
            "items[0].quantity_requested",
            json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 2.5}]}),
        ),
    ] {
        let body = assert_problem(app.post_order(order).await, 400).await;
        assert_eq!(problem_fields(&body), vec![field.to_string()], "{body}");
    }
    // Query strings: the same rule for page, page_size and store_id.
    let response = app
        .get("/api/search/products/?q=tea&store_id=1.0&page=1e0&page_size=2.0")
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["page"].as_i64(), body["page_size"].as_i64()),
        (Some(1), Some(2))
    );
    for (field, query) in [
        ("page", "page=1.5"),
        ("page_size", "page_size=2.5"),
        ("store_id", "store_id=1.5"),
    ] {
        let body = assert_problem(app.get(&format!("/api/search/products/?{query}")).await, 400).await;
        assert_eq!(problem_fields(&body), vec![field.to_string()], "{body}");
    }
    // Too large stays a range error (422), not a saturated id that "does not exist".
    let body = assert_problem(
        app.post_order(json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1e30}]}))
            .await,
        422,
    )
    .await;
    assert_eq!(
        problem_fields(&body),
        vec!["items[0].quantity_requested".to_string()]
    );
}

#[tokio::test]
async fn the_openapi_document_states_the_limits_the_server_enforces() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let mut path_ids = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let schema = &parameter["schema"];
                match (
                    parameter["in"].as_str().unwrap(),
                    parameter["name"].as_str().unwrap(),
                ) {
                    ("path", _) => {
                        path_ids += 1;
                        assert_eq!(schema["minimum"], 1, "{method} {path}");
                    }
                    ("header", "Idempotency-Key") => {
                        assert_eq!(schema["type"], "string", "{method} {path}: not nullable");
                        assert_eq!(
                            (&schema["minLength"], &schema["maxLength"]),
                            (&json!(1), &json!(255))
                        );
                        assert_eq!(schema["pattern"], "^[!-~]+$");
                    }
                    ("query", "q") => assert_eq!(schema["maxLength"], 200, "{path}"),
                    ("query", "page_size") => assert_eq!(schema["maximum"], 100, "{path}"),
                    _ => {}
                }
            }
        }
    }
    assert!(path_ids >= 14, "{path_ids}");
    // Bodies: no field the server does not define, a PATCH changes something; every response
    // described (code generators refuse a document without), every error a problem.
    let schemas = &doc["components"]["schemas"];
    let component = |reference: &Value| {
        let name = reference
            .as_str()
            .unwrap()
            .trim_start_matches("#/components/schemas/");
        schemas[name].clone()
    };
    let mut bodies = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let described = response["description"].as_str().is_some_and(|d| !d.is_empty());
                assert!(described, "{method} {path} {status}: no description");
                if status.starts_with('4') || status.starts_with('5') {
                    let problem = &response["content"]["application/problem+json"]["schema"]["$ref"];
                    assert_eq!(
                        problem, "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                }
            }
            let body = &operation["requestBody"]["content"]["application/json"]["schema"]["$ref"];
            if body.is_null() {
                continue;
            }
            bodies += 1;
            let schema = component(body);
            assert_eq!(schema["additionalProperties"], false, "{method} {path}");
            if method == "patch" {
                assert_eq!(schema["minProperties"], 1, "{method} {path}");
            }
            for property in schema["properties"].as_object().unwrap().values() {
                let nested = &property["items"]["$ref"];
                if !nested.is_null() {
                    assert_eq!(
                        component(nested)["additionalProperties"],
                        false,
                        "{method} {path}"
                    );
                }
            }
        }
    }
    assert_eq!(bodies, 9, "every write route has a body schema");
    // The limits counted as the schema counts them: characters as sent.
    let padded = format!(" {} ", "a".repeat(199));
    for path in ["/api/search/products/", "/api/search/suggest/"] {
        let body = assert_problem(app.get_with(path, &[("q", &padded)]).await, 422).await;
        assert_eq!(problem_fields(&body), vec!["q".to_string()], "{path}");
    }
    let key = "k".repeat(256);
    let response = app
        .client
        .post(app.url("/orders/"))
        .header("Idempotency-Key", &key)
        .json(&json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem_fields(&assert_problem(response, 422).await),
        vec!["Idempotency-Key".to_string()]
    );
}
