//! Stock adjustments over HTTP: what is valid, the stock rule, replays, the cache. Access rules
//! are in `stock_access.rs`, movements in `stock_movements.rs`, the race with orders in
//! `stock_contention.rs`.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{dead_port, problem_fields, single_redis, TestApp};

pub(crate) fn adjustments_path(store: impl std::fmt::Display, product: impl std::fmt::Display) -> String {
    format!("/stores/{store}/inventory/{product}/adjustments/")
}

pub(crate) fn movements_path(store: impl std::fmt::Display, product: impl std::fmt::Display) -> String {
    format!("/stores/{store}/inventory/{product}/movements/")
}

/// POSTs an adjustment: (status, body).
pub(crate) async fn adjust(
    app: &TestApp,
    token: &str,
    store: i64,
    product: i64,
    body: Value,
) -> (u16, Value) {
    let response = app
        .staff(Method::POST, &adjustments_path(store, product), token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

pub(crate) async fn get_json(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let response = app.staff(Method::GET, path, token).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

pub(crate) async fn adjustments_stored(app: &TestApp) -> i64 {
    app.db.scalar("SELECT count(*) AS n FROM stock_adjustments").await
}

pub(crate) fn restock(delta: i64) -> Value {
    json!({"delta": delta, "reason": "restock"})
}

#[tokio::test]
async fn a_restock_is_201_with_the_adjustment_and_a_missing_row_is_created() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let buyer = app.staff_token("buyer", &[]).await;
    let tablet = app.staff_token("backroom-tablet-3", &[2]).await;

    let response = app
        .staff(Method::POST, &adjustments_path(1, 1), &buyer)
        .json(&json!({"delta": 48, "reason": "restock", "note": "delivery 2026-11-30"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert!(
        response.headers().get("location").is_none(),
        "no resource of its own to point at"
    );
    assert!(response.headers().get("idempotent-replayed").is_none());
    let body: Value = response.json().await.unwrap();
    let created_at = body["created_at"].as_str().unwrap().to_owned();
    assert!(
        created_at.ends_with('Z') && created_at.len() == 24,
        "{created_at}"
    );
    let id = body["id"].as_i64().unwrap();
    assert_eq!(
        body,
        json!({"id": id, "store_id": 1, "product_id": 1, "delta": 48, "reason": "restock",
               "note": "delivery 2026-11-30", "quantity_before": 5, "quantity_after": 53,
               "actor": "buyer", "created_at": created_at})
    );
    assert_eq!(app.db.stock(1, 1).await, 53);

    // A store token in its own store; the store did not stock product 3 yet; no trailing slash.
    let response = app
        .staff(Method::POST, "/stores/2/inventory/3/adjustments", &tablet)
        .json(&json!({"delta": 7, "reason": "return", "note": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (
            &body["quantity_before"],
            &body["quantity_after"],
            &body["actor"],
            &body["note"]
        ),
        (&json!(0), &json!(7), &json!("backroom-tablet-3"), &Value::Null)
    );
    assert_eq!(app.db.stock(2, 3).await, 7);
    // Down to exactly zero is allowed.
    let (status, body) = adjust(&app, &tablet, 2, 3, json!({"delta": -7, "reason": "damage"})).await;
    assert_eq!((status, &body["quantity_after"]), (201, &json!(0)));
    assert_eq!(adjustments_stored(&app).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_restocks_of_a_missing_row_all_count() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let buyer = app.staff_token("buyer", &[]).await;
    let responses = futures::future::join_all((0..16).map(|_| adjust(&app, &buyer, 2, 4, restock(1)))).await;
    let mut befores: Vec<i64> = responses
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 201, "{body}");
            body["quantity_before"].as_i64().unwrap()
        })
        .collect();
    befores.sort_unstable();
    assert_eq!(befores, (0..16).collect::<Vec<_>>(), "each saw the one before it");
    assert_eq!(app.db.stock(2, 4).await, 16);
}

#[tokio::test]
async fn below_zero_or_above_the_column_is_409_saying_the_quantity_and_nothing_changes() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let buyer = app.staff_token("buyer", &[]).await;
    let (status, problem) = adjust(&app, &buyer, 1, 1, json!({"delta": -6, "reason": "damage"})).await;
    assert_eq!(status, 409);
    assert_eq!(problem["status"], 409);
    assert!(
        problem["detail"].as_str().unwrap().contains("has 5 units"),
        "{problem}"
    );
    assert_eq!(app.db.stock(1, 1).await, 5);

    // No row: the current quantity is 0, and no row is left behind.
    let (status, problem) = adjust(&app, &buyer, 2, 4, json!({"delta": -1, "reason": "correction"})).await;
    assert_eq!(status, 409);
    assert!(
        problem["detail"].as_str().unwrap().contains("has 0 units"),
        "{problem}"
    );
    let rows = app
        .db
        .scalar("SELECT count(*) AS n FROM inventory WHERE store_id = 2 AND product_id = 4")
        .await;
    assert_eq!(rows, 0);

    app.db
        .run_sql("UPDATE inventory SET quantity = 2147483000 WHERE store_id = 2 AND product_id = 1")
        .await;
    let (status, _) = adjust(&app, &buyer, 2, 1, restock(1000)).await;
    assert_eq!(status, 409);
    assert_eq!(app.db.stock(2, 1).await, 2_147_483_000);
    assert_eq!(adjustments_stored(&app).await, 0);
}

#[tokio::test]
async fn invalid_adjustments_are_422_listing_every_bad_field_and_wrong_types_400() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let buyer = app.staff_token("buyer", &[]).await;
    let long_note = "n".repeat(501);
    let cases = [
        (json!({"delta": 0, "reason": "restock"}), vec!["delta"]),
        (json!({"delta": 1000001, "reason": "restock"}), vec!["delta"]),
        (json!({"delta": -1000001, "reason": "restock"}), vec!["delta"]),
        (json!({"delta": 1e30, "reason": "restock"}), vec!["delta"]),
        (json!({"delta": 5, "reason": "gift"}), vec!["reason"]),
        (
            json!({"delta": 5, "reason": "restock", "note": "a\0b"}),
            vec!["note"],
        ),
        (
            json!({"delta": 5, "reason": "restock", "note": long_note}),
            vec!["note"],
        ),
        (
            json!({"delta": 5, "reason": "restock", "colour": "red"}),
            vec!["colour"],
        ),
        (json!({}), vec!["delta", "reason"]),
        (json!({"delta": null, "reason": null}), vec!["delta", "reason"]),
        (
            json!({"reason": "gift", "delta": 0, "extra": 1, "note": long_note}),
            vec!["delta", "reason", "note", "extra"],
        ),
    ];
    for (body, expected) in cases {
        let (status, problem) = adjust(&app, &buyer, 1, 1, body.clone()).await;
        assert_eq!(status, 422, "for {body}");
        assert_eq!(problem_fields(&problem), expected, "for {body}");
    }
    // Wrong JSON types are 400 naming the field, as on every endpoint; a whole number written
    // as a float is that integer (the API's one integer rule).
    for (body, field) in [
        (json!({"delta": "5", "reason": "restock"}), "delta"),
        (json!({"delta": 2.5, "reason": "restock"}), "delta"),
        (json!({"delta": 5, "reason": 3}), "reason"),
        (json!({"delta": 5, "reason": "restock", "note": 12}), "note"),
    ] {
        let (status, problem) = adjust(&app, &buyer, 1, 1, body.clone()).await;
        assert_eq!(status, 400, "for {body}");
        assert_eq!(problem_fields(&problem), [field], "for {body}");
    }
    let (status, adjustment) = adjust(&app, &buyer, 1, 1, json!({"delta": 2.0, "reason": "restock"})).await;
    assert_eq!((status, &adjustment["delta"]), (201, &json!(2)));
    app.db
        .run_sql("UPDATE inventory SET quantity = 5 WHERE store_id = 1 AND product_id = 1")
        .await;
    app.db.run_sql("DELETE FROM stock_adjustments").await;
    // The header is listed with the body's fields.
    let response = app
        .staff(Method::POST, &adjustments_path(1, 1), &buyer)
        .header("Idempotency-Key", "k".repeat(256))
        .json(&json!({"delta": 0, "reason": "restock"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem_fields(&problem), ["delta", "Idempotency-Key"]);

    let not_json = app
        .staff(Method::POST, &adjustments_path(1, 1), &buyer)
        .header("content-type", "text/plain")
        .body("{\"delta\": 1, \"reason\": \"restock\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 415);
    let malformed = app
        .staff(Method::POST, &adjustments_path(1, 1), &buyer)
        .header("content-type", "application/json")
        .body("[1]")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(adjustments_stored(&app).await, 0);
    assert_eq!(app.db.stock(1, 1).await, 5);
}

#[tokio::test]
async fn a_replay_applies_once_also_when_concurrent_and_a_different_body_is_422() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let buyer = app.staff_token("buyer", &[]).await;
    let send = |key: &'static str, body: Value| {
        app.staff(Method::POST, &adjustments_path(1, 3), &buyer)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send("delivery-1", restock(4)).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send("delivery-1", restock(4)).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(app.db.stock(1, 3).await, 14, "applied once");

    let different = send("delivery-1", restock(5)).await.unwrap();
    assert_eq!(different.status(), 422);
    assert_eq!(
        problem_fields(&different.json().await.unwrap()),
        ["Idempotency-Key"]
    );

    let responses = futures::future::join_all(
        (0..16).map(|_| send("delivery-2", json!({"delta": -3, "reason": "damage"}))),
    )
    .await;
    let mut ids = Vec::new();
    for response in responses {
        let response = response.unwrap();
        assert_eq!(response.status(), 201);
        ids.push(response.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every replay names the same adjustment");
    assert_eq!(app.db.stock(1, 3).await, 11);
    assert_eq!(adjustments_stored(&app).await, 2);
}

#[tokio::test]
async fn a_restock_is_seen_right_after_its_201_by_cached_inventory_and_in_stock_search() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let buyer = app.staff_token("buyer", &[]).await;
    let cache_of = |response: &reqwest::Response| response.headers()["x-cache"].to_str().unwrap().to_owned();
    let inventory = "/stores/1/inventory/";
    let in_stock = "/api/search/products/?in_stock=true&store_id=1";
    for path in [inventory, in_stock] {
        app.get(path).await;
        assert_eq!(cache_of(&app.get(path).await), "HIT", "{path}");
    }

    let (status, _) = adjust(&app, &buyer, 1, 4, restock(3)).await;
    assert_eq!(status, 201);
    let response = app.get(inventory).await;
    assert_eq!(cache_of(&response), "MISS");
    let body: Value = response.json().await.unwrap();
    let chocolate = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["product_id"] == 4);
    assert_eq!(chocolate.unwrap()["quantity"], 3, "the new row is listed: {body}");
    let response = app.get(in_stock).await;
    assert_eq!(cache_of(&response), "MISS");
    let body: Value = response.json().await.unwrap();
    let chocolate = body["results"].as_array().unwrap().iter().find(|i| i["id"] == 4);
    assert_eq!(chocolate.unwrap()["quantity"], 3, "{body}");

    // A refused adjustment changes nothing, and the entries stay valid.
    assert_eq!(cache_of(&app.get(inventory).await), "HIT");
    let (status, _) = adjust(&app, &buyer, 1, 4, json!({"delta": -4, "reason": "damage"})).await;
    assert_eq!(status, 409);
    assert_eq!(cache_of(&app.get(inventory).await), "HIT");
}

#[tokio::test]
async fn a_failed_bump_still_answers_201_and_hands_the_bump_to_the_worker() {
    let app =
        TestApp::spawn_with(|settings| single_redis(settings, format!("redis://127.0.0.1:{}", dead_port())))
            .await;
    app.seed_basic().await;
    let buyer = app.staff_token("buyer", &[]).await;
    let jobs = "SELECT count(*) AS n FROM outbox WHERE kind = 'cache_invalidation' AND store_id = 1";
    let (status, _) = adjust(&app, &buyer, 1, 1, json!({"delta": -6, "reason": "damage"})).await;
    assert_eq!(status, 409);
    assert_eq!(app.db.scalar(jobs).await, 0, "a refused adjustment bumps nothing");
    let (status, body) = adjust(&app, &buyer, 1, 1, restock(2)).await;
    assert_eq!((status, &body["quantity_after"]), (201, &json!(7)));
    assert_eq!(app.db.scalar(jobs).await, 1);
    assert_eq!(app.db.stock(1, 1).await, 7);
}
