//! Throw-away databases for tests (feature `test-db`): each one a clone of a migrated template,
//! dropped when the value is dropped, so test suites run in parallel and leave nothing behind.
//!
//! The template is named after a hash of `migrations/`, built once under an advisory lock by
//! whichever test process gets there first, and reused by every later run until a migration
//! changes. (Not yet measured against crates.io's schema-per-test alternative.)

use std::error::Error as StdError;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::run_migrations;

type BoxError = Box<dyn StdError + Send + Sync>;

/// The cluster to use: `DATABASE_URL` (its database name is replaced), else the project-local one.
pub fn cluster_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://aforro:aforro@127.0.0.1:55432/aforro".to_string())
}

fn url_for(database: &str) -> String {
    let base = cluster_url();
    match base.rfind('/') {
        Some(cut) => format!("{}/{database}", &base[..cut]),
        None => format!("{base}/{database}"),
    }
}

const MIGRATIONS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");

fn template_name() -> Result<String, BoxError> {
    let mut files = Vec::new();
    collect(std::path::Path::new(MIGRATIONS_DIR), &mut files)?;
    files.sort();
    // FNV-1a: stable across Rust versions, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (path, content) in files {
        for byte in path.bytes().chain(content) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok(format!("aforro_template_{hash:016x}"))
}

fn collect(dir: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), BoxError> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else {
            let relative = path
                .strip_prefix(MIGRATIONS_DIR)
                .unwrap_or(&path)
                .display()
                .to_string();
            out.push((relative, std::fs::read(&path)?));
        }
    }
    Ok(())
}

async fn admin() -> Result<AsyncPgConnection, BoxError> {
    AsyncPgConnection::establish(&url_for("postgres"))
        .await
        .map_err(|e| {
            format!("cannot reach the test Postgres ({e}); start it with `scripts/services up`").into()
        })
}

async fn exec(conn: &mut AsyncPgConnection, sql: &str) -> Result<(), BoxError> {
    diesel::sql_query(sql)
        .execute(conn)
        .await
        .map_err(|e| format!("{sql}: {e}"))?;
    Ok(())
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn ensure_template() -> Result<String, BoxError> {
    let template = template_name()?;
    let mut conn = admin().await?;
    exec(&mut conn, "SELECT pg_advisory_lock(727274)").await?;
    let found: Number = diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<Text, _>(&template)
        .get_result(&mut conn)
        .await?;
    if found.n == 0 {
        // Built under another name and renamed when complete: a crash never leaves a
        // half-migrated template behind.
        let building = format!("{template}_building");
        exec(
            &mut conn,
            &format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
        )
        .await?;
        exec(&mut conn, &format!("CREATE DATABASE {building}")).await?;
        run_migrations(&url_for(&building)).await?;
        exec(
            &mut conn,
            &format!("ALTER DATABASE {building} RENAME TO {template}"),
        )
        .await?;
    }
    exec(&mut conn, "SELECT pg_advisory_unlock(727274)").await?;
    Ok(template)
}

/// A database of its own, dropped (with `FORCE`) when this value is dropped.
pub struct TestDb {
    /// Database name.
    pub name: String,
    /// Connection URL.
    pub url: String,
}

impl TestDb {
    /// Creates a fresh, migrated, empty database.
    pub async fn new() -> Result<Self, BoxError> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let template = ensure_template().await?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "aforro_test_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        exec(
            &mut admin().await?,
            &format!("CREATE DATABASE {name} TEMPLATE {template}"),
        )
        .await?;
        Ok(Self {
            url: url_for(&name),
            name,
        })
    }

    /// A new connection to this database.
    pub async fn conn(&self) -> Result<AsyncPgConnection, BoxError> {
        Ok(AsyncPgConnection::establish(&self.url).await?)
    }

    /// Runs `;`-separated SQL statements (fixtures). Panics on failure: test helper.
    pub async fn run_sql(&self, sql: &str) {
        let result = async {
            let mut conn = self.conn().await?;
            for statement in sql.split(';').filter(|s| !s.trim().is_empty()) {
                exec(&mut conn, statement).await?;
            }
            Ok::<_, BoxError>(())
        }
        .await;
        if let Err(error) = result {
            panic!("fixture SQL failed: {error}");
        }
    }

    /// The integer a query returns in a column named `n`. Panics on failure: test helper.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let result = async {
            let row: Number = diesel::sql_query(sql).get_result(&mut self.conn().await?).await?;
            Ok::<_, BoxError>(row.n)
        }
        .await;
        match result {
            Ok(n) => n,
            Err(error) => panic!("{sql}: {error}"),
        }
    }

    /// Stock of a product in a store. Panics when there is no such row: test helper.
    pub async fn stock(&self, store_id: i64, product_id: i64) -> i64 {
        self.scalar(&format!(
            "SELECT quantity::bigint AS n FROM inventory WHERE store_id = {store_id} AND product_id = {product_id}"
        ))
        .await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop may run inside a runtime that must not be blocked: use a thread of our own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) = admin().await {
                    let _ = exec(&mut conn, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                }
            });
        })
        .join();
    }
}
