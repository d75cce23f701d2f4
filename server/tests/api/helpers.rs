//! Test harness: every test gets its own database, cloned from a migrated template, and its
//! own server on a random port, so tests run in parallel and leave nothing behind.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aforro_server::app::{AppState, Application};
use aforro_server::config::{DatabaseSettings, Settings, DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL};
use diesel::sql_types::{BigInt, Integer};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

/// The server's URL of the cluster the tests use (the project-local one by default).
fn base_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_string())
}

fn url_for(database: &str) -> String {
    let base = base_url();
    let cut = base.rfind('/').expect("DATABASE_URL has a database name");
    format!("{}/{database}", &base[..cut])
}

/// Names the template after the migrations' content, so a changed migration gets a new one.
fn template_name() -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");
    let mut entries: Vec<_> = walk(std::path::Path::new(dir));
    entries.sort();
    let mut hash: u64 = 0xcbf29ce484222325;
    for (path, content) in entries {
        for byte in path.bytes().chain(content) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x100000001b3);
        }
    }
    format!("aforro_template_{hash:016x}")
}

fn walk(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("migrations folder") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push((
                path.display().to_string(),
                std::fs::read(&path).expect("read migration"),
            ));
        }
    }
    out
}

async fn admin() -> AsyncPgConnection {
    AsyncPgConnection::establish(&url_for("postgres"))
        .await
        .expect("the test Postgres must run: start it with scripts/services up")
}

async fn ensure_template() -> String {
    let template = template_name();
    let mut conn = admin().await;
    // One process builds the template; the others wait on the lock, then find it.
    diesel::sql_query("SELECT pg_advisory_lock(727274)")
        .execute(&mut conn)
        .await
        .expect("lock");
    if !database_exists(&mut conn, &template).await {
        let building = format!("{template}_building");
        exec(
            &mut conn,
            &format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
        )
        .await;
        exec(&mut conn, &format!("CREATE DATABASE {building}")).await;
        aforro_adapters::postgres::run_migrations(&url_for(&building))
            .await
            .expect("migrate template");
        exec(
            &mut conn,
            &format!("ALTER DATABASE {building} RENAME TO {template}"),
        )
        .await;
    }
    diesel::sql_query("SELECT pg_advisory_unlock(727274)")
        .execute(&mut conn)
        .await
        .expect("unlock");
    template
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> bool {
    let row: Count = diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result(conn)
        .await
        .expect("query pg_database");
    row.n > 0
}

async fn exec(conn: &mut AsyncPgConnection, sql: &str) {
    diesel::sql_query(sql)
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A database of its own, dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let template = ensure_template().await;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .subsec_nanos();
        let name = format!(
            "aforro_test_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        exec(
            &mut admin().await,
            &format!("CREATE DATABASE {name} TEMPLATE {template}"),
        )
        .await;
        Self {
            url: url_for(&name),
            name,
        }
    }

    pub async fn conn(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url)
            .await
            .expect("connect to test database")
    }

    /// Runs SQL statements (fixtures).
    pub async fn run_sql(&self, sql: &str) {
        let mut conn = self.conn().await;
        for statement in sql.split(';').filter(|s| !s.trim().is_empty()) {
            exec(&mut conn, statement).await;
        }
    }

    /// A single integer from a query (`SELECT … AS n`).
    pub async fn scalar(&self, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let row: Row = diesel::sql_query(sql)
            .get_result(&mut self.conn().await)
            .await
            .expect(sql);
        row.n
    }

    /// Stock of a product in a store.
    pub async fn stock(&self, store_id: i64, product_id: i64) -> i32 {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Integer)]
            quantity: i32,
        }
        let row: Row =
            diesel::sql_query("SELECT quantity FROM inventory WHERE store_id = $1 AND product_id = $2")
                .bind::<BigInt, _>(store_id)
                .bind::<BigInt, _>(product_id)
                .get_result(&mut self.conn().await)
                .await
                .expect("stock row");
        row.quantity
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread of our own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let mut conn = admin().await;
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            });
        })
        .join();
    }
}

/// A running server on its own database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
}

impl TestApp {
    pub async fn spawn() -> Self {
        if std::env::var("TEST_LOG").is_ok() {
            aforro_server::telemetry::init();
        }
        let db = TestDb::new().await;
        let settings = Settings {
            bind: "127.0.0.1:0".into(),
            redis_url: std::env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.into()),
            http_workers: Some(2),
            database: DatabaseSettings {
                database_url: db.url.clone(),
                database_pool_size: 8,
            },
        };
        let state = AppState::from_settings(&settings).expect("state");
        let app = Application::build(&settings, state).expect("build app");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self {
            address,
            client: reqwest::Client::new(),
            db,
        }
    }

    /// Inserts a small catalogue: categories 1–2, products 1–4, stores 1–2 and some stock.
    pub async fn seed_basic(&self) {
        self.db
            .run_sql(
                "INSERT INTO categories (id, name) VALUES (1, 'Beverages'), (2, 'Snacks');
                 INSERT INTO products (id, title, description, price, category_id) VALUES
                   (1, 'Green Tea', 'Loose leaf', 4.20, 1),
                   (2, 'Oolong', NULL, 6.00, 1),
                   (3, 'almond bar', 'Crunchy', 1.99, 2),
                   (4, 'Chocolate', 'Dark', 2.50, 2);
                 INSERT INTO stores (id, name, location) VALUES (1, 'Baixa', 'Lisbon'), (2, 'Ribeira', 'Porto');
                 INSERT INTO inventory (store_id, product_id, quantity) VALUES
                   (1, 1, 5), (1, 2, 1), (1, 3, 10), (2, 1, 100)",
            )
            .await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_order(&self, body: Value) -> reqwest::Response {
        self.client
            .post(self.url("/orders/"))
            .json(&body)
            .send()
            .await
            .expect("POST /orders/")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }
}

/// The `field`s of a problem+json body.
pub fn problem_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}
