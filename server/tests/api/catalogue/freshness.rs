//! "A write is visible to every read — search, suggest, inventory, cached or not — as soon as
//! its response is sent": each read is cached (a HIT) before the write and shows the new
//! value right after the write's answer.

use reqwest::Method;
use serde_json::{json, Value};

use super::{read, staffed_app, write};
use crate::helpers::{dead_port, single_redis, TestApp};

/// Reads `path` until it is a cache HIT (the second read at the latest) and returns the body.
async fn cached(app: &TestApp, path: &str) -> Value {
    let (status, _, first) = read(app, path).await;
    assert_eq!(status, 200, "{path}: {first}");
    let (_, cache, second) = read(app, path).await;
    assert_eq!((cache.as_str(), &second), ("HIT", &first), "{path}");
    second
}

/// Reads `path` right after a write: never from before it.
async fn fresh(app: &TestApp, path: &str) -> Value {
    let (status, cache, body) = read(app, path).await;
    assert_eq!((status, cache.as_str()), (200, "MISS"), "{path}: {body}");
    body
}

fn field_of(body: &Value, id_key: &str, id: i64, field: &str) -> Value {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[id_key] == id)
        .map(|r| r[field].clone())
        .unwrap_or_else(|| panic!("{id} missing from {body}"))
}

fn titles(body: &Value) -> Vec<&str> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect()
}

const SEARCH: &str = "/api/search/products/?q=green";
const INVENTORY: &str = "/stores/1/inventory/";

#[tokio::test]
async fn a_price_change_is_seen_at_once_by_cached_search_and_inventory() {
    let (app, token) = staffed_app().await;
    assert_eq!(field_of(&cached(&app, SEARCH).await, "id", 1, "price"), "4.20");
    assert_eq!(
        field_of(&cached(&app, INVENTORY).await, "product_id", 1, "price"),
        "4.20"
    );

    let (status, _, _) = write(&app, Method::PATCH, "/products/1/", &token, json!({"price": "5"})).await;
    assert_eq!(status, 200);
    assert_eq!(field_of(&fresh(&app, SEARCH).await, "id", 1, "price"), "5.00");
    assert_eq!(
        field_of(&fresh(&app, INVENTORY).await, "product_id", 1, "price"),
        "5.00"
    );
}

#[tokio::test]
async fn a_new_title_and_description_are_seen_at_once_by_cached_search_suggest_and_inventory() {
    let (app, token) = staffed_app().await;
    let suggest = "/api/search/suggest/?q=gree";
    assert_eq!(cached(&app, suggest).await["suggestions"], json!(["Green Tea"]));
    let premium = "/api/search/products/?q=premium";
    assert_eq!(cached(&app, premium).await["count"], 0);
    cached(&app, SEARCH).await;
    cached(&app, INVENTORY).await;

    let body = json!({"title": "Green Tea Premium"});
    assert_eq!(
        write(&app, Method::PATCH, "/products/1", &token, body).await.0,
        200
    );
    assert_eq!(
        fresh(&app, suggest).await["suggestions"],
        json!(["Green Tea Premium"])
    );
    assert_eq!(titles(&fresh(&app, premium).await), ["Green Tea Premium"]);
    assert_eq!(titles(&fresh(&app, SEARCH).await), ["Green Tea Premium"]);
    let inventory = fresh(&app, INVENTORY).await;
    assert_eq!(
        field_of(&inventory, "product_id", 1, "product_title"),
        "Green Tea Premium"
    );
}

#[tokio::test]
async fn a_new_product_is_found_and_counted_at_once() {
    let (app, token) = staffed_app().await;
    let everything = "/api/search/products/";
    assert_eq!(cached(&app, everything).await["count"], 4);
    let jasmine = "/api/search/products/?q=jasmine&sort=price";
    assert_eq!(cached(&app, jasmine).await["count"], 0);
    let suggest = "/api/search/suggest/?q=jas";
    assert_eq!(cached(&app, suggest).await["suggestions"], json!([]));

    for (i, title) in ["Jasmine Pearls", "Jasmine Silver Needle"].iter().enumerate() {
        let body = json!({"title": title, "description": "Scented", "price": "7.10", "category_id": 1});
        assert_eq!(write(&app, Method::POST, "/products/", &token, body).await.0, 201);
        assert_eq!(
            fresh(&app, everything).await["count"],
            5 + i,
            "the product count stays exact"
        );
    }
    let found = fresh(&app, jasmine).await;
    assert_eq!(titles(&found), ["Jasmine Pearls", "Jasmine Silver Needle"]);
    assert_eq!(
        fresh(&app, suggest).await["suggestions"],
        json!(["Jasmine Pearls", "Jasmine Silver Needle"])
    );
    assert_eq!(
        app.db
            .scalar("SELECT (SELECT products FROM product_count) - (SELECT count(*) FROM products) AS n")
            .await,
        0
    );
}

#[tokio::test]
async fn search_finds_products_by_their_category_s_new_name_at_once() {
    let (app, token) = staffed_app().await;
    let by_new_name = "/api/search/products/?q=infusions&sort=price";
    assert_eq!(cached(&app, by_new_name).await["count"], 0);
    let by_filter = "/api/search/products/?category=Infusions";
    assert_eq!(cached(&app, by_filter).await["count"], 0);
    let by_old_name = "/api/search/products/?q=beverages";
    assert_eq!(cached(&app, by_old_name).await["count"], 2);

    let body = json!({"name": "Infusions"});
    assert_eq!(
        write(&app, Method::PATCH, "/categories/1/", &token, body).await.0,
        200
    );
    assert_eq!(titles(&fresh(&app, by_new_name).await), ["Green Tea", "Oolong"]);
    assert_eq!(fresh(&app, by_filter).await["count"], 2);
    assert_eq!(fresh(&app, by_old_name).await["count"], 0);
    let (_, _, tea) = read(&app, "/products/1/").await;
    assert_eq!(tea["category"], json!({"id": 1, "name": "Infusions"}));

    // A product moved into the category is found by its name too.
    let body = json!({"category_id": 1});
    assert_eq!(
        write(&app, Method::PATCH, "/products/3/", &token, body).await.0,
        200
    );
    assert_eq!(
        titles(&fresh(&app, by_new_name).await),
        ["almond bar", "Green Tea", "Oolong"]
    );
}

#[tokio::test]
async fn concurrent_renames_and_product_writes_leave_every_search_vector_exact() {
    let (app, token) = staffed_app().await;
    let renames = (0..12).map(|i| {
        let (app, token) = (&app, &token);
        async move {
            let body = json!({ "name": format!("Drinks {i}") });
            write(app, Method::PATCH, "/categories/1/", token, body).await.0
        }
    });
    let products = (0..12).map(|i| {
        let (app, token) = (&app, &token);
        async move {
            let (method, path, body) = if i % 2 == 0 {
                let body = json!({"title": format!("Tisane {i}"), "price": 1, "category_id": 1});
                (Method::POST, "/products/".to_owned(), body)
            } else {
                // Products 3 and 4 move between the categories.
                let path = format!("/products/{}/", 3 + i % 4 / 2);
                (Method::PATCH, path, json!({"category_id": 1 + i % 3 % 2}))
            };
            write(app, method, &path, token, body).await.0
        }
    });
    let (renamed, written) = tokio::join!(
        futures::future::join_all(renames),
        futures::future::join_all(products)
    );
    assert!(renamed.iter().all(|s| *s == 200), "{renamed:?}");
    assert!(written.iter().all(|s| *s == 200 || *s == 201), "{written:?}");
    let stale = "SELECT count(*) AS n FROM products p JOIN categories c ON c.id = p.category_id
                 WHERE p.search_vector <> product_search_vector(p.title, c.name, p.description)";
    assert_eq!(app.db.scalar(stale).await, 0);
}

#[tokio::test]
async fn a_write_whose_invalidation_fails_stands_and_hands_it_to_the_worker() {
    let app = TestApp::spawn_with(|settings| {
        single_redis(settings, format!("redis://127.0.0.1:{}", dead_port()));
    })
    .await;
    app.seed_basic().await;
    let token = app.staff_token("buyer", &[]).await;
    let waiting = "SELECT count(*) AS n FROM outbox
                   WHERE kind = 'catalogue_invalidation' AND published_at IS NULL";

    let (status, _, _) = write(
        &app,
        Method::POST,
        "/stores/",
        &token,
        json!({"name": "Chiado", "location": "Lisbon"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(app.db.scalar(waiting).await, 0, "store writes invalidate nothing");

    let (status, _, _) = write(
        &app,
        Method::PATCH,
        "/products/1/",
        &token,
        json!({"price": "6.60"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(app.db.scalar(waiting).await, 1);
    let (status, cache, body) = read(&app, SEARCH).await;
    assert_eq!((status, cache.as_str()), (200, "BYPASS"));
    assert_eq!(field_of(&body, "id", 1, "price"), "6.60");

    // Later failures while that job waits add none: its bump will cover them.
    let (status, _, _) = write(&app, Method::POST, "/categories/", &token, json!({"name": "Tea"})).await;
    assert_eq!(status, 201);
    let body = json!({"title": "Sencha", "price": 5, "category_id": 1});
    assert_eq!(write(&app, Method::POST, "/products/", &token, body).await.0, 201);
    assert_eq!(app.db.scalar(waiting).await, 1);
}
