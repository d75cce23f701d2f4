//! Migrations while the shop takes orders: a migration never makes an order wait on a lock
//! for long, and one that cannot get its lock gives up cleanly and is applied by the next
//! `server migrate`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aforro_adapters::postgres::test_db::TestDb;
use aforro_adapters::postgres::{run_migrations_with, MigrationSettings};
use aforro_adapters::test_figures::report;
use diesel::sql_types::BigInt;
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use crate::helpers::TestApp;

/// The newest migration: it builds `product_search_terms_category_idx` CONCURRENTLY.
const NEWEST: &str = "20261204000033";
const NEWEST_INDEX: &str = "product_search_terms_category_idx";
/// Clients placing orders at once, each on its own product: they never wait on each other's
/// row locks, so every lock wait seen is the migration's doing.
const CLIENTS: i64 = 12;

/// Makes `db` as it was before the newest migration.
async fn before_newest_migration(db: &TestDb) {
    db.run_sql(&format!(
        "DROP INDEX {NEWEST_INDEX}; DELETE FROM __diesel_schema_migrations WHERE version = '{NEWEST}'"
    ))
    .await;
}

async fn newest_is_applied(db: &TestDb) -> bool {
    db.scalar(&format!(
        "SELECT count(*) AS n FROM __diesel_schema_migrations WHERE version = '{NEWEST}'"
    ))
    .await
        == 1
}

/// The newest migration's index: (valid ones, invalid ones).
async fn newest_index(db: &TestDb) -> (i64, i64) {
    let count = |valid: bool| {
        format!(
            "SELECT count(*) AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE c.relname = '{NEWEST_INDEX}' AND i.indisvalid = {valid}"
        )
    };
    (db.scalar(&count(true)).await, db.scalar(&count(false)).await)
}

fn quick_settings(attempts: u32) -> MigrationSettings {
    MigrationSettings {
        lock_timeout: Duration::from_millis(100),
        attempts,
        first_pause: Duration::from_millis(50),
    }
}

async fn execute(conn: &mut AsyncPgConnection, sql: &str) {
    diesel::sql_query(sql).execute(conn).await.unwrap();
}

/// A transaction holding `mode` on product_search_terms until ROLLBACK.
async fn hold_search_terms(db: &TestDb, mode: &str) -> AsyncPgConnection {
    let mut conn = db.conn().await.unwrap();
    execute(&mut conn, "BEGIN").await;
    execute(
        &mut conn,
        &format!("LOCK TABLE product_search_terms IN {mode} MODE"),
    )
    .await;
    conn
}

async fn gives_up_then_applies_once_released(mode: &str) {
    let db = TestDb::new().await.unwrap();
    before_newest_migration(&db).await;
    let mut blocker = hold_search_terms(&db, mode).await;

    let started = Instant::now();
    let error = run_migrations_with(&db.url, quick_settings(3)).await.unwrap_err();
    let message = format!("{:#}", anyhow::Error::new(error));
    assert!(
        message.contains(NEWEST) && message.contains("3 attempts") && message.contains("server migrate"),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "gave up in {:?}",
        started.elapsed()
    );
    assert!(!newest_is_applied(&db).await, "not recorded as applied");
    let (valid, _) = newest_index(&db).await;
    assert_eq!(valid, 0, "no index of the migration that gave up is in use");

    execute(&mut blocker, "ROLLBACK").await;
    let applied = run_migrations_with(&db.url, quick_settings(3)).await.unwrap();
    assert_eq!(applied, vec![NEWEST.to_string()]);
    assert!(newest_is_applied(&db).await);
    assert_eq!(
        newest_index(&db).await,
        (1, 0),
        "one valid index, no INVALID one left"
    );
}

#[tokio::test]
async fn a_migration_that_cannot_take_its_lock_gives_up_and_the_next_migrate_applies_it() {
    // SHARE UPDATE EXCLUSIVE: the index build cannot even start.
    gives_up_then_applies_once_released("SHARE UPDATE EXCLUSIVE").await;
}

#[tokio::test]
async fn an_index_build_that_times_out_half_way_leaves_nothing_the_next_migrate_trips_on() {
    // ROW EXCLUSIVE (a writer's lock): the build starts, creates its INVALID index, then times
    // out waiting for the writer's transaction; each attempt drops that index first.
    gives_up_then_applies_once_released("ROW EXCLUSIVE").await;
}

/// `stop.load`, out of reach of diesel's `RunQueryDsl::load` (implemented for every `Arc`).
fn stopped(stop: &AtomicBool) -> bool {
    stop.load(Ordering::Relaxed)
}

#[tokio::test]
async fn two_migrates_at_once_take_turns() {
    let db = TestDb::new().await.unwrap();
    before_newest_migration(&db).await;
    // One attempt each: without taking turns, the second's index build would time out on the
    // first's lock (SHARE UPDATE EXCLUSIVE conflicts with itself) and fail.
    let (first, second) = tokio::join!(
        run_migrations_with(&db.url, quick_settings(1)),
        run_migrations_with(&db.url, quick_settings(1))
    );
    let mut applied = vec![first.unwrap(), second.unwrap()];
    applied.sort();
    assert_eq!(
        applied,
        vec![vec![], vec![NEWEST.to_string()]],
        "one applies it, the other finds it done"
    );
    assert_eq!(newest_index(&db).await, (1, 0));
}

#[tokio::test]
async fn an_index_someone_builds_concurrently_meanwhile_is_left_to_finish() {
    let db = TestDb::new().await.unwrap();
    before_newest_migration(&db).await;
    // Someone builds an index on categories by hand, CONCURRENTLY; a writer's open transaction
    // holds the build half-way, its index INVALID until it is done.
    let mut writer = db.conn().await.unwrap();
    execute(&mut writer, "BEGIN").await;
    execute(&mut writer, "LOCK TABLE categories IN ROW EXCLUSIVE MODE").await;
    let mut builder = db.conn().await.unwrap();
    let build = tokio::spawn(async move {
        diesel::sql_query("CREATE INDEX CONCURRENTLY categories_by_hand_idx ON categories (name)")
            .execute(&mut builder)
            .await
    });
    let being_built = "SELECT count(*) AS n FROM pg_stat_progress_create_index p
                         JOIN pg_class c ON c.oid = p.index_relid
                        WHERE c.relname = 'categories_by_hand_idx'";
    let started = Instant::now();
    while db.scalar(being_built).await == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the build never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The migration is applied, and the build in progress is not taken for a leftover: a
    // migrate that dropped it would wait for the builder's lock, time out on every attempt
    // and fail.
    let applied = run_migrations_with(&db.url, quick_settings(3)).await.unwrap();
    assert_eq!(applied, vec![NEWEST.to_string()]);
    assert_eq!(newest_index(&db).await, (1, 0));
    execute(&mut writer, "ROLLBACK").await;
    build.await.unwrap().expect("the build by hand finishes");
    assert_eq!(
        db.scalar(
            "SELECT count(*) AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE c.relname = 'categories_by_hand_idx' AND i.indisvalid"
        )
        .await,
        1
    );
}

#[derive(QueryableByName)]
struct Waited {
    #[diesel(sql_type = BigInt)]
    ms: i64,
}

/// Samples every 5 ms, until `stop`, the longest any session of `db` other than the
/// migration's has been waiting for a lock; returns the longest seen, in ms.
async fn longest_lock_wait(db: &TestDb, stop: Arc<AtomicBool>) -> i64 {
    let mut conn = db.conn().await.unwrap();
    let mut longest = 0;
    while !stopped(&stop) {
        let row: Waited = diesel::sql_query(
            "SELECT coalesce(max(extract(epoch FROM clock_timestamp() - l.waitstart) * 1000), 0)::bigint AS ms
               FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE NOT l.granted AND a.datname = current_database()
                AND a.application_name <> 'aforro migrate'",
        )
        .get_result(&mut conn)
        .await
        .unwrap();
        longest = longest.max(row.ms);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    longest
}

/// Orders from [`CLIENTS`] clients, each on its own product, until `stop`; returns how many
/// were answered 201 and the slowest answer.
async fn place_orders(app: Arc<TestApp>, stop: Arc<AtomicBool>) -> (usize, Duration) {
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let (app, stop) = (Arc::clone(&app), Arc::clone(&stop));
        clients.push(tokio::spawn(async move {
            let (mut placed, mut slowest) = (0, Duration::ZERO);
            while !stopped(&stop) {
                let sent = Instant::now();
                let response = app
                    .post_order(json!({"store_id": 900, "items": [{"product_id": 9000 + client, "quantity_requested": 1}]}))
                    .await;
                slowest = slowest.max(sent.elapsed());
                assert_eq!(response.status(), 201, "{:?}", response.text().await);
                placed += 1;
            }
            (placed, slowest)
        }));
    }
    let mut total = (0, Duration::ZERO);
    for client in clients {
        let (placed, slowest) = client.await.unwrap();
        total = (total.0 + placed, total.1.max(slowest));
    }
    total
}

/// What ran under load: orders placed while `during` ran, the longest lock wait of any order
/// in that time, and the slowest order.
async fn under_order_load<F: std::future::Future<Output = ()>>(
    app: &Arc<TestApp>,
    during: F,
) -> (usize, i64, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn({
        let (app, stop) = (Arc::clone(app), Arc::clone(&stop));
        async move { longest_lock_wait(&app.db, stop).await }
    });
    let orders = tokio::spawn(place_orders(Arc::clone(app), Arc::clone(&stop)));
    // Orders flow before, during and after.
    tokio::time::sleep(Duration::from_millis(500)).await;
    during.await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let (placed, slowest) = orders.await.unwrap();
    (placed, sampler.await.unwrap(), slowest)
}

async fn app_with_stock_and_terms() -> Arc<TestApp> {
    let app = TestApp::spawn().await;
    app.db
        .run_sql(
            "INSERT INTO categories (id, name) VALUES (900, 'Pantry');
             INSERT INTO stores (id, name, location) VALUES (900, 'Graça', 'Lisbon')",
        )
        .await;
    // 8,000 products give the index build some work (about 30,000 search terms); in
    // statements of 1,000, as the products' triggers take a lock per product.
    for first in (9000..17_000).step_by(1000) {
        app.db
            .run_sql(&format!(
                "INSERT INTO products (id, title, price, category_id)
                   SELECT g, 'Pantry item ' || md5(g::text), 1.00, 900 FROM generate_series({first}, {}) g",
                first + 999
            ))
            .await;
    }
    app.db
        .run_sql(&format!(
            "INSERT INTO inventory (store_id, product_id, quantity)
               SELECT 900, g, 1000000 FROM generate_series(9000, {}) g",
            9000 + CLIENTS
        ))
        .await;
    Arc::new(app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_newest_migration_applied_under_load_makes_no_order_wait_on_a_lock() {
    let app = app_with_stock_and_terms().await;
    before_newest_migration(&app.db).await;
    let url = app.db.url.clone();
    let (placed, longest_wait_ms, slowest) = under_order_load(&app, async move {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("migrate")
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .output()
            .await
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    })
    .await;
    report(&format!(
        "online migration: newest migration ({NEWEST}) applied under load: {placed} orders placed, longest lock wait of an order {longest_wait_ms} ms, slowest order {slowest:?}"
    ));
    assert!(newest_is_applied(&app.db).await);
    assert_eq!(newest_index(&app.db).await, (1, 0));
    assert!(placed > 0);
    assert!(
        longest_wait_ms < 200,
        "an order waited {longest_wait_ms} ms on a lock"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_lock_wait_measure_sees_a_migration_that_blocks_writes() {
    // The control: a migration that is not online (it holds SHARE on orders, as a plain
    // CREATE INDEX does, for 400 ms) makes orders wait, and the measure above says so.
    let app = app_with_stock_and_terms().await;
    let db_url = app.db.url.clone();
    let (placed, longest_wait_ms, _) = under_order_load(&app, async move {
        let mut conn = <AsyncPgConnection as diesel_async::AsyncConnection>::establish(&db_url)
            .await
            .unwrap();
        execute(&mut conn, "BEGIN").await;
        execute(&mut conn, "LOCK TABLE orders IN SHARE MODE").await;
        execute(&mut conn, "SELECT pg_sleep(0.4)").await;
        execute(&mut conn, "COMMIT").await;
    })
    .await;
    report(&format!("online migration, control: a write-blocking lock (400 ms) under load: {placed} orders placed, longest lock wait of an order {longest_wait_ms} ms"));
    assert!(placed > 0);
    assert!(longest_wait_ms >= 250, "orders waited only {longest_wait_ms} ms");
}
