//! Many clients at once on the same stock, over real HTTP: never oversold, never deadlocked.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::helpers::TestApp;

const CLIENTS: usize = 32;

/// Sends `orders_per_client` orders from each of `CLIENTS` concurrent clients; returns statuses.
async fn storm(
    app: &Arc<TestApp>,
    orders_per_client: usize,
    body_for: fn(usize, usize) -> Value,
) -> Vec<(u16, Value)> {
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let app = Arc::clone(app);
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for n in 0..orders_per_client {
                let response = app.post_order(body_for(client, n)).await;
                let status = response.status().as_u16();
                seen.push((status, response.json::<Value>().await.unwrap()));
            }
            seen
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_product_many_clients_sells_exactly_the_stock() {
    let app = Arc::new(TestApp::spawn().await);
    app.seed_basic().await;
    const STOCK: i64 = 60;
    app.db
        .run_sql(&format!(
            "UPDATE inventory SET quantity = {STOCK} WHERE store_id = 1 AND product_id = 3"
        ))
        .await;

    let results = storm(
        &app,
        5,
        |_, _| json!({"store_id": 1, "items": [{"product_id": 3, "quantity_requested": 1}]}),
    )
    .await;

    assert_eq!(results.len(), CLIENTS * 5);
    for (status, body) in &results {
        assert_eq!(*status, 201, "no 5xx, no deadlock error: {body}");
    }
    let confirmed = results.iter().filter(|(_, b)| b["status"] == "CONFIRMED").count() as i64;
    assert_eq!(confirmed, STOCK, "exactly the stock is sold");
    assert_eq!(app.db.stock(1, 3).await, 0);
    // Every rejected order saw the stock empty.
    for (_, body) in results.iter().filter(|(_, b)| b["status"] == "REJECTED") {
        assert_eq!(body["items"][0]["quantity_available"], 0);
    }
    let stored = app
        .db
        .scalar("SELECT count(*) AS n FROM orders WHERE status = 'CONFIRMED'")
        .await;
    assert_eq!(stored, STOCK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_naming_shared_products_in_opposite_orders_never_deadlock() {
    let app = Arc::new(TestApp::spawn().await);
    app.seed_basic().await;
    app.db
        .run_sql("UPDATE inventory SET quantity = 50 WHERE store_id = 1 AND product_id IN (1, 3)")
        .await;

    // Half the clients ask for (1, 3), the others for (3, 1); quantities vary so some are rejected.
    let results = storm(&app, 4, |client, n| {
        let (a, b) = if client % 2 == 0 { (1, 3) } else { (3, 1) };
        json!({"store_id": 1, "items": [
            {"product_id": a, "quantity_requested": 1 + (n % 2)},
            {"product_id": b, "quantity_requested": 1}]})
    })
    .await;

    let mut sold = std::collections::HashMap::new();
    for (status, body) in &results {
        assert_eq!(*status, 201, "{body}");
        if body["status"] == "CONFIRMED" {
            for item in body["items"].as_array().unwrap() {
                *sold.entry(item["product_id"].as_i64().unwrap()).or_insert(0) +=
                    item["quantity_requested"].as_i64().unwrap();
            }
        }
    }
    for product in [1, 3] {
        let left = app.db.stock(1, product).await;
        assert!(left >= 0);
        assert_eq!(
            left + sold.get(&product).copied().unwrap_or(0),
            50,
            "product {product}: stock + sold = initial"
        );
    }
    let rejected_with_deduction = app
        .db
        .scalar("SELECT count(*) AS n FROM orders o WHERE o.status = 'REJECTED' AND NOT EXISTS (SELECT 1 FROM order_items oi WHERE oi.order_id = o.id AND oi.quantity_requested > oi.quantity_available)")
        .await;
    assert_eq!(
        rejected_with_deduction, 0,
        "every rejected order has a line that did not fit"
    );
}
