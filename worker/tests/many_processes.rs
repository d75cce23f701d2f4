//! Two API servers and two workers on one database and one Redis, as a deployment that has
//! outgrown one process runs them: orders through both servers race on the same stock, every
//! confirmation email goes out once, and the suggest limit is one limit whichever server a
//! client reaches. (Issue 21 asks the same of a Redis Cluster; this is the single-node half.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use aforro_worker::runner::Worker;
use support::Setup;

const SUGGEST_LIMIT: u32 = 20;

/// Relays and works until `expected_emails` are sent or 30 s have passed.
async fn run_worker(worker: &Worker, setup: &Setup, expected_emails: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        worker.relay_pass().await.unwrap();
        worker.work_pass(Duration::from_millis(20)).await.unwrap();
        if setup.count("SELECT count(*) FROM sent_emails").await >= expected_emails {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_and_two_workers_share_stock_jobs_and_the_rate_limit() {
    let setup = Setup::new().await;
    let stock = 40;
    setup
        .db
        .run_sql(&format!(
            "UPDATE inventory SET quantity = {stock} WHERE store_id = 1 AND product_id = 1"
        ))
        .await;
    let servers = [
        setup.server(SUGGEST_LIMIT).await,
        setup.server(SUGGEST_LIMIT).await,
    ];
    let client = reqwest::Client::new();

    // 120 one-unit orders for 40 units, alternating servers, all in flight at once.
    let mut placing = tokio::task::JoinSet::new();
    for i in 0..120 {
        let (client, url) = (client.clone(), servers[i % 2].clone());
        placing.spawn(async move {
            let response = client
                .post(format!("{url}/orders/"))
                .json(&serde_json::json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            let body: serde_json::Value = response.json().await.unwrap();
            body["status"].as_str().unwrap().to_string()
        });
    }
    let orders = placing.join_all().await;
    let confirmed = orders.iter().filter(|s| *s == "CONFIRMED").count() as i64;
    assert_eq!(confirmed, stock, "exactly the stock is sold: {orders:?}");
    assert_eq!(orders.iter().filter(|s| *s == "REJECTED").count(), 80);
    assert_eq!(
        setup
            .count("SELECT quantity FROM inventory WHERE store_id = 1 AND product_id = 1")
            .await,
        0
    );

    // Both workers at once: each confirmation is sent once, none is left.
    let workers = [setup.worker("w1"), setup.worker("w2")];
    tokio::join!(
        run_worker(&workers[0], &setup, confirmed),
        run_worker(&workers[1], &setup, confirmed),
    );
    assert_eq!(setup.count("SELECT count(*) FROM sent_emails").await, confirmed);
    assert_eq!(
        setup
            .count("SELECT count(DISTINCT order_id) FROM sent_emails")
            .await,
        confirmed
    );
    assert_eq!(
        setup
            .count("SELECT count(*) FROM outbox WHERE completed_at IS NULL")
            .await,
        0
    );

    // One client, alternating servers: the limit counts both. Each server alone saw only 10.
    for i in 0..SUGGEST_LIMIT as usize {
        let url = &servers[i % 2];
        let response = client
            .get(format!("{url}/api/search/suggest/?q=gre"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "request {} of {SUGGEST_LIMIT}", i + 1);
    }
    for url in &servers {
        let response = client
            .get(format!("{url}/api/search/suggest/?q=gre"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 429, "past the shared limit, on {url}");
    }
}
