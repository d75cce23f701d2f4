//! Reads on a streaming replica (`DATABASE_READ_URL`): they run there once it has caught up,
//! and none returns data older than a response already given, even while the replica's
//! replay is paused. Needs the replica of `scripts/services replica`; `scripts/test` starts it
//! and runs these tests (and the search, inventory and cache suites) with the variable set.
//! Without it these tests say so and pass: the suite of a machine without a replica.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde_json::{json, Value};

use crate::helpers::{same_database, TestApp};
use crate::observability::metric;

/// The replica of this test's database once it has everything the primary has now (the test
/// database was just created from a template, which the replica replays block by block), or
/// `None` when the suite runs without a replica.
async fn replica_url(app: &TestApp) -> Option<String> {
    let Ok(url) = std::env::var("DATABASE_READ_URL") else {
        eprintln!("DATABASE_READ_URL unset: no replica to test (scripts/test sets it)");
        return None;
    };
    let url = same_database(&url, &app.db.name);
    let mut primary = app.db.conn().await.unwrap();
    let target = diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn")
        .get_result::<Lsn>(&mut primary)
        .await
        .unwrap()
        .lsn;
    for _ in 0..200 {
        if let Ok(mut replica) = AsyncPgConnection::establish(&url).await {
            let caught_up = diesel::sql_query("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok")
                .bind::<diesel::sql_types::Text, _>(&target)
                .get_result::<CaughtUp>(&mut replica)
                .await;
            if caught_up.is_ok_and(|c| c.ok) {
                return Some(url);
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the replica did not catch up with the primary within 10 s");
}

#[derive(diesel::QueryableByName)]
struct Lsn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    lsn: String,
}

#[derive(diesel::QueryableByName)]
struct CaughtUp {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    ok: bool,
}

/// `aforro_db_replica_reads_total{served_by}` from the server's metrics.
async fn reads_served_by(app: &TestApp, side: &str) -> u64 {
    metric(app, "aforro_db_replica_reads_total", &[("served_by", side)]).await as u64
}

#[derive(diesel::QueryableByName)]
struct Quantity {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn quantity_of(body: &Value, product_id: i64) -> i64 {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["product_id"] == product_id)
        .map(|item| item["quantity"].as_i64().unwrap())
        .unwrap_or_else(|| panic!("product {product_id} in {body}"))
}

#[tokio::test]
async fn reads_run_on_the_replica_once_it_has_caught_up() {
    // A generous wait: the whole suite runs beside this test, and every test database it
    // creates is WAL the replica must replay first (with the default 50 ms these reads fell
    // back to the primary in a CI run, which is that setting doing its job).
    let app = TestApp::spawn_with(|settings| settings.read_replica.database_read_wait_ms = 5_000).await;
    app.seed_basic().await;
    let Some(_) = replica_url(&app).await else { return };
    let before = reads_served_by(&app, "replica").await;
    for path in [
        "/api/search/products/?q=tea",
        "/api/search/suggest/?q=oolo",
        "/stores/1/inventory/",
        "/stores/1/orders/",
    ] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
    let on_replica = reads_served_by(&app, "replica").await - before;
    assert_eq!(on_replica, 4, "every read ran on the replica");
}

#[tokio::test]
async fn no_read_is_older_than_an_order_while_replay_is_paused() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let Some(replica) = replica_url(&app).await else {
        return;
    };
    // Cached before the order, from the replica.
    let before: Value = app.get("/stores/1/inventory/").await.json().await.unwrap();
    assert_eq!(quantity_of(&before, 1), 5);

    let mut standby = AsyncPgConnection::establish(&replica).await.unwrap();
    standby
        .batch_execute("SELECT pg_wal_replay_pause()")
        .await
        .unwrap();
    // Whatever happens while replay is paused, it is resumed before this test fails: a paused
    // replica would send every later read of the suite to the primary.
    let paused = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(async {
        let fell_back = reads_served_by(&app, "primary").await;
        let placed = app
            .post_order(json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 2}]}))
            .await;
        // The replica still has 5 units; every read after the order must say 3.
        let inventory: Value = app.get("/stores/1/inventory/").await.json().await.unwrap();
        let search: Value = app
            .get("/api/search/products/?q=green&store_id=1")
            .await
            .json()
            .await
            .unwrap();
        let fell_back_after = reads_served_by(&app, "primary").await;
        let stale_on_replica = diesel::sql_query(
            "SELECT quantity::bigint AS n FROM inventory WHERE store_id = 1 AND product_id = 1",
        )
        .get_result::<Quantity>(&mut standby)
        .await
        .unwrap()
        .n;
        (
            placed.status(),
            inventory,
            search,
            fell_back,
            fell_back_after,
            stale_on_replica,
        )
    }))
    .await;
    let mut standby = AsyncPgConnection::establish(&replica).await.unwrap();
    standby
        .batch_execute("SELECT pg_wal_replay_resume()")
        .await
        .unwrap();
    let (status, inventory, search, fell_back, fell_back_after, stale_on_replica) =
        paused.unwrap_or_else(|panic| std::panic::resume_unwind(panic));

    assert_eq!(status, 201);
    assert_eq!(
        stale_on_replica, 5,
        "replay was paused: the replica had the old stock"
    );
    assert_eq!(quantity_of(&inventory, 1), 3, "inventory after the order");
    assert_eq!(search["results"][0]["quantity"], 3, "search after the order");
    assert!(
        fell_back_after >= fell_back + 2,
        "both reads went to the primary: {fell_back} → {fell_back_after}"
    );
}
