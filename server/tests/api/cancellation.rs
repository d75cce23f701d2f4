//! POST /orders/{order_id}/cancel/: who may, what it gives back (once, however many race), what
//! it refuses, and that every read — cached or not — shows the returned stock at once.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{problem_fields, TestApp};
use crate::ledger::{assert_chains, ledger};

fn cancel_path(order: impl std::fmt::Display) -> String {
    format!("/orders/{order}/cancel/")
}

/// POSTs a cancel with `body` (None: no body at all): (status, body).
async fn cancel(
    app: &TestApp,
    token: &str,
    order: impl std::fmt::Display,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.staff(Method::POST, &cancel_path(order), token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// A confirmed order of store 1: 2 × product 1 (5 in stock) and 1 × product 3 (10).
async fn confirmed_order(app: &TestApp) -> Value {
    let body = json!({"store_id": 1, "items": [{"product_id": 3, "quantity_requested": 1},
                                              {"product_id": 1, "quantity_requested": 2}]});
    let order: Value = app.post_order(body).await.json().await.unwrap();
    assert_eq!(order["status"], "CONFIRMED");
    order
}

#[tokio::test]
async fn a_cancel_gives_every_line_back_once_and_the_order_says_who_and_when() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let tablet = app.staff_token("tablet-1", &[1]).await;
    let order = confirmed_order(&app).await;
    let id = order["id"].as_i64().unwrap();
    assert_eq!((app.db.stock(1, 1).await, app.db.stock(1, 3).await), (3, 9));
    assert_eq!(
        (&order["cancelled_at"], &order["cancelled_by"]),
        (&Value::Null, &Value::Null)
    );

    let (status, cancelled) = cancel(&app, &tablet, id, Some(json!({"note": "changed their mind"}))).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["cancelled_by"], "tablet-1");
    assert_eq!(cancelled["cancellation_note"], "changed their mind");
    assert!(cancelled["cancelled_at"].as_str().unwrap() >= order["created_at"].as_str().unwrap());
    assert_eq!(
        (&cancelled["items"], &cancelled["id"]),
        (&order["items"], &order["id"])
    );
    assert_eq!((app.db.stock(1, 1).await, app.db.stock(1, 3).await), (5, 10));

    // Every read says CANCELLED; a second cancel changes nothing and answers the same.
    let read: Value = app.get(&format!("/orders/{id}/")).await.json().await.unwrap();
    assert_eq!(read, cancelled);
    let listed: Value = app.get("/stores/1/orders/").await.json().await.unwrap();
    assert_eq!(listed["results"][0]["status"], "CANCELLED");
    let (status, again) = cancel(&app, &tablet, id, None).await;
    assert_eq!((status, &again), (200, &cancelled));
    assert_eq!((app.db.stock(1, 1).await, app.db.stock(1, 3).await), (5, 10));

    // The ledger: the order's line, then its cancellation, chained; the email's job is queued once.
    let movements = ledger(&app, &tablet, 1, 1).await;
    assert_chains(&movements, 5, 5, "product 1");
    let last = &movements[1];
    assert_eq!(
        (&last["kind"], &last["order_id"], &last["delta"], &last["actor"]),
        (&json!("cancellation"), &json!(id), &json!(2), &json!("tablet-1"))
    );
    assert_eq!(last["created_at"], cancelled["cancelled_at"]);
    let jobs = app
        .db
        .scalar(&format!(
            "SELECT count(*) AS n FROM outbox WHERE kind = 'order_cancellation' AND order_id = {id}"
        ))
        .await;
    assert_eq!(jobs, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_cancels_at_once_give_the_stock_back_once() {
    let app = Arc::new(TestApp::spawn().await);
    app.seed_basic().await;
    let buyer = Arc::new(app.staff_token("buyer", &[]).await);
    let id = confirmed_order(&app).await["id"].as_i64().unwrap();
    let mut racing = Vec::new();
    for n in 0..16 {
        let (app, buyer) = (Arc::clone(&app), Arc::clone(&buyer));
        // Half of them with one Idempotency-Key, the others with none.
        racing.push(tokio::spawn(async move {
            let mut request = app.staff(Method::POST, &cancel_path(id), &buyer);
            if n % 2 == 0 {
                request = request.header("Idempotency-Key", "till-3-return-7");
            }
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }));
    }
    let mut bodies = Vec::new();
    for task in racing {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, 200, "{body}");
        bodies.push(body);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every answer is the same order"
    );
    assert_eq!((app.db.stock(1, 1).await, app.db.stock(1, 3).await), (5, 10));
    let given_back = app
        .db
        .scalar(&format!(
            "SELECT count(*) AS n FROM stock_movements WHERE kind = 'cancellation' AND order_id = {id}"
        ))
        .await;
    assert_eq!(given_back, 2, "one movement per line");
}

#[tokio::test]
async fn refusals_change_nothing_and_say_why() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let buyer = app.staff_token("buyer", &[]).await;
    let other_store = app.staff_token("porto", &[2]).await;
    let order = confirmed_order(&app).await;
    let id = order["id"].as_i64().unwrap();
    let rejected: Value = app
        .post_order(json!({"store_id": 1, "items": [{"product_id": 2, "quantity_requested": 9}]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rejected["status"], "REJECTED");

    // 401 and 403 before anything else: no token; another store's token, for this order, for
    // no order at all, and for a path that is no id — the same 403, saying nothing of either.
    let response = app.client.post(app.url(&cancel_path(id))).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    for path_id in [id.to_string(), "999999".to_owned(), "abc".to_owned()] {
        let (status, problem) = cancel(&app, &other_store, &path_id, Some(json!({"colour": 1}))).await;
        assert_eq!(status, 403, "{path_id}: {problem}");
    }
    // 404 for a catalogue token; 409 for a rejected order (nothing was taken).
    let (status, _) = cancel(&app, &buyer, 999_999, None).await;
    assert_eq!(status, 404);
    let (status, problem) = cancel(&app, &buyer, rejected["id"].as_i64().unwrap(), None).await;
    assert_eq!(status, 409);
    assert!(
        problem["detail"].as_str().unwrap().contains("REJECTED"),
        "{problem}"
    );
    // Bad bodies: every bad field named, wrong types 400, no JSON content type 415.
    let long = "x".repeat(501);
    let (status, problem) = cancel(&app, &buyer, id, Some(json!({"note": long, "colour": "red"}))).await;
    assert_eq!(
        (status, problem_fields(&problem)),
        (422, vec!["note".to_owned(), "colour".to_owned()])
    );
    let (status, _) = cancel(&app, &buyer, id, Some(json!({"note": 5}))).await;
    assert_eq!(status, 400);
    let (status, _) = cancel(&app, &buyer, id, Some(json!(["note"]))).await;
    assert_eq!(status, 400);
    let response = app
        .staff(Method::POST, &cancel_path(id), &buyer)
        .header("content-type", "text/plain")
        .body("note")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let after: Value = app.get(&format!("/orders/{id}/")).await.json().await.unwrap();
    assert_eq!(after, order, "nothing changed");
    assert_eq!((app.db.stock(1, 1).await, app.db.stock(1, 3).await), (3, 9));

    // An Idempotency-Key: the same request replays, another request under it is a 422.
    let keyed = |note: &str| {
        app.staff(Method::POST, &cancel_path(id), &buyer)
            .header("Idempotency-Key", "k-1")
            .json(&json!({"note": note}))
            .send()
    };
    let first = keyed("late").await.unwrap();
    assert_eq!(first.status(), 200);
    let replay = keyed("late").await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let (status, problem) = {
        let response = keyed("other").await.unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    };
    assert_eq!(
        (status, problem_fields(&problem)),
        (422, vec!["Idempotency-Key".to_owned()])
    );
}

#[tokio::test]
async fn cached_inventory_and_search_show_the_returned_stock_right_after_the_cancel() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let buyer = app.staff_token("buyer", &[]).await;
    let id = confirmed_order(&app).await["id"].as_i64().unwrap();
    let cache_of = |response: &reqwest::Response| response.headers()["x-cache"].to_str().unwrap().to_owned();
    let inventory = "/stores/1/inventory/";
    let in_stock = "/api/search/products/?in_stock=true&store_id=1";
    for path in [inventory, in_stock] {
        app.get(path).await;
        assert_eq!(cache_of(&app.get(path).await), "HIT", "{path}");
    }
    let (status, _) = cancel(&app, &buyer, id, None).await;
    assert_eq!(status, 200);
    let quantity_of = |body: &Value, field: &str| {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i[field] == 1)
            .unwrap()["quantity"]
            .clone()
    };
    let response = app.get(inventory).await;
    assert_eq!(cache_of(&response), "MISS");
    assert_eq!(quantity_of(&response.json().await.unwrap(), "product_id"), 5);
    let response = app.get(in_stock).await;
    assert_eq!(cache_of(&response), "MISS");
    assert_eq!(quantity_of(&response.json().await.unwrap(), "id"), 5);
}
