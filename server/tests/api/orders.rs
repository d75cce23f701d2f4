//! POST /orders/ and GET /orders/{id}/.

use diesel_async::SimpleAsyncConnection;
use serde_json::{json, Value};

use crate::helpers::{problem_fields, TestApp};

#[tokio::test]
async fn confirmed_order_deducts_exactly_what_was_asked() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;

    let response = app
        .post_order(json!({"store_id": 1, "items": [
            {"product_id": 1, "quantity_requested": 2},
            {"product_id": 2, "quantity_requested": 1}]}))
        .await;

    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let body: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/orders/{}/", body["id"]));
    assert_eq!(body["status"], "CONFIRMED");
    assert_eq!(body["store_id"], 1);
    assert_eq!(
        (body["total_items"].as_i64(), body["total_quantity"].as_i64()),
        (Some(2), Some(3))
    );
    assert_eq!(
        body["items"][0],
        json!({"product_id": 1, "product_title": "Green Tea", "quantity_requested": 2, "quantity_available": 5})
    );
    assert_eq!(
        body["items"][1],
        json!({"product_id": 2, "product_title": "Oolong", "quantity_requested": 1, "quantity_available": 1})
    );
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(app.db.stock(1, 1).await, 3);
    assert_eq!(app.db.stock(1, 2).await, 0);
    assert_eq!(app.db.stock(1, 3).await, 10, "other products untouched");
    assert_eq!(app.db.stock(2, 1).await, 100, "other stores untouched");

    let fetched: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(fetched, body, "GET returns the POST body");
}

#[tokio::test]
async fn rejected_order_deducts_nothing_and_is_stored() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;

    let response = app
        .post_order(json!({"store_id": 1, "items": [
            {"product_id": 1, "quantity_requested": 2},
            {"product_id": 2, "quantity_requested": 2}]}))
        .await;

    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "REJECTED");
    assert_eq!(body["items"][1]["quantity_available"], 1);
    assert_eq!(
        app.db.stock(1, 1).await,
        5,
        "the line that fit is not deducted either"
    );
    assert_eq!(app.db.stock(1, 2).await, 1);
    let stored = app
        .db
        .scalar("SELECT count(*) AS n FROM orders WHERE status = 'REJECTED'")
        .await;
    assert_eq!(stored, 1);
    let fetched: Value = app
        .get(&format!("/orders/{}", body["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["status"], "REJECTED");
}

#[tokio::test]
async fn product_without_inventory_row_is_rejected() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;

    // Product 4 exists but store 1 has no row for it.
    let response = app
        .post_order(json!({"store_id": 1, "items": [{"product_id": 4, "quantity_requested": 1}]}))
        .await;

    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "REJECTED");
    assert_eq!(body["items"][0]["quantity_available"], 0);
    assert_eq!(
        app.db
            .scalar("SELECT count(*) AS n FROM inventory WHERE product_id = 4")
            .await,
        0
    );
}

#[tokio::test]
async fn unknown_store_is_404_and_stores_nothing() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;

    let response = app
        .post_order(json!({"store_id": 99, "items": [{"product_id": 1, "quantity_requested": 1}]}))
        .await;

    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    assert_eq!(app.db.scalar("SELECT count(*) AS n FROM orders").await, 0);
}

#[tokio::test]
async fn invalid_orders_are_422_naming_each_field_and_store_nothing() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let many: Vec<Value> = (1..=101)
        .map(|i| json!({"product_id": i, "quantity_requested": 1}))
        .collect();
    let cases = [
        (json!({"store_id": 1, "items": []}), vec!["items"]),
        (json!({"store_id": 1, "items": many}), vec!["items"]),
        (
            json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 0}]}),
            vec!["items[0].quantity_requested"],
        ),
        (
            json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1000001}]}),
            vec!["items[0].quantity_requested"],
        ),
        (
            json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 99999999999999999999999u128 as f64}]}),
            vec!["items[0].quantity_requested"],
        ),
        (
            json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}, {"product_id": 1, "quantity_requested": 2}]}),
            vec!["items[1].product_id"],
        ),
        (
            json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}, {"product_id": 777, "quantity_requested": 1}]}),
            vec!["items[1].product_id"],
        ),
        (
            json!({"store_id": -3, "items": [{"product_id": -1, "quantity_requested": 1}]}),
            vec!["store_id", "items[0].product_id"],
        ),
        (
            json!({"items": [{"quantity_requested": 1}]}),
            vec!["store_id", "items[0].product_id"],
        ),
    ];
    for (body, expected) in cases {
        let response = app.post_order(body.clone()).await;
        assert_eq!(response.status(), 422, "for {body}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["status"], 422);
        assert_eq!(problem_fields(&problem), expected, "for {body}");
    }
    assert_eq!(app.db.scalar("SELECT count(*) AS n FROM orders").await, 0);
    assert_eq!(app.db.stock(1, 1).await, 5);
}

#[tokio::test]
async fn idempotent_replay_returns_the_first_order_without_deducting_again() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let body = json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 2}]});
    let send = |body: Value| {
        app.client
            .post(app.url("/orders/"))
            .header("Idempotency-Key", "retry-me-1")
            .json(&body)
            .send()
    };

    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(body.clone()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();

    assert_eq!(again, first);
    assert_eq!(app.db.stock(1, 1).await, 3, "deducted once");
    assert_eq!(app.db.scalar("SELECT count(*) AS n FROM orders").await, 1);

    let different = send(json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]}))
        .await
        .unwrap();
    assert_eq!(different.status(), 422);
    assert_eq!(
        problem_fields(&different.json().await.unwrap()),
        ["Idempotency-Key"]
    );
    assert_eq!(app.db.stock(1, 1).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_with_one_key_place_one_order() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let body = json!({"store_id": 2, "items": [{"product_id": 1, "quantity_requested": 1}]});
    let requests = (0..16).map(|_| {
        app.client
            .post(app.url("/orders/"))
            .header("Idempotency-Key", "same-key")
            .json(&body)
            .send()
    });
    let responses = futures::future::join_all(requests).await;
    let mut ids = Vec::new();
    for response in responses {
        let response = response.unwrap();
        assert_eq!(response.status(), 201);
        ids.push(response.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every replay names the same order");
    assert_eq!(app.db.stock(2, 1).await, 99);
}

#[tokio::test]
async fn missing_orders_are_404() {
    let app = TestApp::spawn().await;
    for path in [
        "/orders/12345/",
        "/orders/0/",
        "/orders/-1/",
        "/orders/abc/",
        "/orders/99999999999999999999/",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
}

/// A key that expires (retention deletes it) between the claim's INSERT, which found it, and
/// its SELECT, which then finds nothing, is claimed again: the request places a new order (the
/// old key had passed its TTL) instead of failing with a 500. A statement trigger plays
/// retention at exactly that moment, once.
#[tokio::test]
async fn a_key_that_expires_while_it_is_claimed_is_claimed_again() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let body = json!({"store_id": 2, "items": [{"product_id": 1, "quantity_requested": 1}]});
    let send = || {
        app.client
            .post(app.url("/orders/"))
            .header("Idempotency-Key", "expiring")
            .json(&body)
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    // One batch (the function body has semicolons of its own, which run_sql would split).
    let mut conn = app.db.conn().await.unwrap();
    conn.batch_execute(
        "CREATE TABLE expire_once (key text);
         INSERT INTO expire_once VALUES ('expiring');
         CREATE FUNCTION expire_key_once() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             DELETE FROM idempotency_keys k USING expire_once e WHERE k.key = e.key;
             DELETE FROM expire_once;
             RETURN NULL;
         END $$;
         CREATE TRIGGER expire_key_once AFTER INSERT ON idempotency_keys
             FOR EACH STATEMENT EXECUTE FUNCTION expire_key_once();",
    )
    .await
    .unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert!(again.headers().get("idempotent-replayed").is_none());
    let again: Value = again.json().await.unwrap();
    assert_ne!(again["id"], first["id"], "the expired key places a new order");
    assert_eq!(
        app.db
            .scalar("SELECT count(*)::bigint AS n FROM expire_once")
            .await,
        0,
        "the trigger ran"
    );
}
