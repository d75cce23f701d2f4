//! `GET /categories/`, `/categories/{id}/`, `/products/{id}/`, `/stores/`, `/stores/{id}/`.

use serde_json::{json, Value};

use super::read;
use crate::helpers::TestApp;

fn names(body: &Value) -> Vec<&str> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn categories_and_stores_are_listed_by_name_ignoring_case_then_id() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    app.db
        .run_sql(
            "INSERT INTO categories (id, name) VALUES (3, 'apples'), (4, 'Zest'), (5, 'bakery');
             INSERT INTO stores (id, name, location) VALUES
               (3, 'almada', 'Almada'), (4, 'Baixa', 'Lisbon'), (5, 'Zambujeira', 'Odemira')",
        )
        .await;

    let (status, _, body) = read(&app, "/categories/").await;
    assert_eq!(status, 200);
    assert_eq!(names(&body), ["apples", "bakery", "Beverages", "Snacks", "Zest"]);
    assert_eq!(
        (body["count"].clone(), body["page_size"].clone()),
        (json!(5), json!(50))
    );
    assert_eq!(body["results"][2], json!({"id": 1, "name": "Beverages"}));

    let (_, _, body) = read(&app, "/stores").await;
    assert_eq!(
        names(&body),
        ["almada", "Baixa", "Baixa", "Ribeira", "Zambujeira"]
    );
    // Equal names: by id.
    assert_eq!(body["results"][1]["id"], 1);
    assert_eq!(body["results"][2]["id"], 4);
    assert_eq!(
        body["results"][0],
        json!({"id": 3, "name": "almada", "location": "Almada"})
    );
    assert_eq!(body["page_size"], 50);
}

#[tokio::test]
async fn catalogue_lists_are_paginated_like_every_list() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    app.db
        .run_sql(
            "INSERT INTO categories (id, name) SELECT i, 'Category ' || i FROM generate_series(3, 7) AS i",
        )
        .await;

    let (_, _, body) = read(&app, "/categories/?page=2&page_size=3").await;
    assert_eq!(names(&body), ["Category 5", "Category 6", "Category 7"]);
    assert_eq!(body["count"], 7);
    assert_eq!(body["total_pages"], 3);
    assert_eq!(body["next"], "/categories/?page=3&page_size=3");
    assert_eq!(body["previous"], "/categories/?page=1&page_size=3");

    let (status, _, body) = read(&app, "/categories/?page=9&page_size=3").await;
    assert_eq!(
        (status, body["results"].clone(), body["count"].clone()),
        (200, json!([]), json!(7))
    );

    let (status, _, body) = read(&app, "/stores/?page=2&page_size=1").await;
    assert_eq!((status, names(&body)), (200, vec!["Ribeira"]));
    assert_eq!(body["next"], Value::Null);

    for path in ["/categories/?page_size=101", "/stores/?page=0"] {
        let (status, _, body) = read(&app, path).await;
        assert_eq!(status, 422, "{path}: {body}");
    }
    assert_eq!(read(&app, "/stores/?page=x").await.0, 400);
}

#[tokio::test]
async fn one_record_by_id_or_404() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    assert_eq!(
        read(&app, "/categories/2/").await,
        (200, String::new(), json!({"id": 2, "name": "Snacks"}))
    );
    assert_eq!(
        read(&app, "/stores/2").await,
        (
            200,
            String::new(),
            json!({"id": 2, "name": "Ribeira", "location": "Porto"})
        )
    );

    // The search result object, without `quantity`.
    let (status, _, product) = read(&app, "/products/1/").await;
    assert_eq!(status, 200);
    let (_, _, search) = read(&app, "/api/search/products/?q=green").await;
    assert_eq!(product, search["results"][0]);
    assert_eq!(product["price"], "4.20");
    assert_eq!(product["category"], json!({"id": 1, "name": "Beverages"}));
    assert!(product.get("quantity").is_none(), "{product}");
    let (_, _, oolong) = read(&app, "/products/2").await;
    assert_eq!(oolong["description"], Value::Null);

    for path in [
        "/categories/99/",
        "/categories/0/",
        "/stores/99/",
        "/stores/abc/",
        "/products/99/",
        "/products/-1/",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    // The routes under a store are still there.
    for path in ["/stores/1/orders/", "/stores/1/inventory/", "/stores/1/inventory"] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
    let head = app.client.head(app.url("/products/1/")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let wrong = app.client.delete(app.url("/categories/1/")).send().await.unwrap();
    assert_eq!(wrong.status(), 405);
    assert_eq!(wrong.headers()["allow"], "GET, HEAD, PATCH");
}

#[tokio::test]
async fn the_catalogue_is_in_the_openapi_document_with_the_bearer_scheme_on_writes() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    for (path, read_method, write_method) in [
        ("/categories/", "get", "post"),
        ("/categories/{category_id}/", "get", "patch"),
        ("/products/{product_id}/", "get", "patch"),
        ("/stores/", "get", "post"),
        ("/stores/{store_id}/", "get", "patch"),
    ] {
        let item = &doc["paths"][path];
        assert!(item[read_method]["security"].is_null(), "{path} is public");
        assert_eq!(item[write_method]["security"], json!([{"bearer": []}]), "{path}");
        for status in ["401", "403", "422"] {
            assert!(
                item[write_method]["responses"][status].is_object(),
                "{path} {status}"
            );
        }
    }
    assert_eq!(
        doc["paths"]["/products/"]["post"]["security"],
        json!([{"bearer": []}])
    );
    assert!(doc["paths"]["/categories/"]["post"]["responses"]["409"].is_object());
}
