//! The connection pool.

use std::sync::Arc;
use std::time::Duration;

use aforro_core::{Error, Result};
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::error::{db_error, pool_error};
use super::replica::Replica;
use super::transaction::{CommitReady, KeyTable, PgTransaction};

/// Pool sizing and time limits.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_size: usize,
    /// How long a request waits for a free or new connection before giving up (→ Unavailable).
    pub wait_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            wait_timeout: Duration::from_secs(5),
        }
    }
}

/// A snapshot of the connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Most connections the pool opens.
    pub max_size: usize,
    /// Connections open now.
    pub size: usize,
    /// Connections handed out now.
    pub in_use: usize,
    /// Callers waiting for a connection now.
    pub waiting: usize,
}

/// The PostgreSQL adapter: a shared pool of diesel-async connections.
#[derive(Clone)]
pub struct Postgres {
    pool: Pool<AsyncPgConnection>,
    pub(crate) wait_timeout: Duration,
    /// Where reads that may lag run, when configured (see `replica`).
    pub(crate) replica: Option<Replica>,
    /// Which pooled connections may pipeline an order's COMMIT (see `transaction`).
    pub(crate) commit_ready: Arc<CommitReady>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("status", &self.pool.status())
            .finish()
    }
}

/// A pool of `settings.max_size` connections to `database_url`, none opened yet.
fn build_pool(database_url: &str, settings: PoolSettings) -> Result<Pool<AsyncPgConnection>> {
    let mut config = ManagerConfig::default();
    // No `SELECT 1` before each use: it was one more round trip per request (measured:
    // orders/s at 8 clients 979 → 1,205 without it). A connection killed by a database
    // restart fails the one request that uses it (503), is marked broken and replaced.
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::new_with_config(database_url, config);
    Pool::builder(manager)
        .max_size(settings.max_size)
        // Hand out the most recently returned connection: under light load the same few
        // backends stay busy (and warm) instead of rotating through every pooled one.
        // Three runs side by side at 8 clients: 2,111/2,085/2,146 orders/s against
        // 2,101/1,802/2,092 with the default FIFO.
        .queue_mode(deadpool::managed::QueueMode::Lifo)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.wait_timeout))
        .recycle_timeout(Some(settings.wait_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| Error::Internal(Box::new(e)))
}

impl Postgres {
    /// Builds the pool. No connection is opened until one is needed, so this succeeds while
    /// the database is down; requests then fail with `Unavailable` until it is back.
    pub fn connect(database_url: &str, settings: PoolSettings) -> Result<Self> {
        Ok(Self {
            pool: build_pool(database_url, settings)?,
            wait_timeout: settings.wait_timeout,
            replica: None,
            commit_ready: Arc::new(CommitReady::new(settings.max_size)),
        })
    }

    /// Sends the reads that may lag (search, suggest, inventory and order listings, order and
    /// summary reads) to the streaming replica at `read_url`, each once the replica has caught
    /// up with the primary as of the read's start, waiting at most `wait` before reading from
    /// the primary instead (see `replica`). Writes stay on the primary.
    pub fn with_read_replica(
        mut self,
        read_url: &str,
        settings: PoolSettings,
        wait: Duration,
    ) -> Result<Self> {
        self.replica = Some(Replica {
            pool: build_pool(read_url, settings)?,
            wait,
            counters: Arc::default(),
        });
        Ok(self)
    }

    /// A keyed write's transaction (see `transaction`) on a connection from the pool, its keys
    /// in `keys`; with `pipelined_commit`, its `COMMIT` may travel with its last statement.
    /// Nothing is sent yet.
    pub(super) async fn keyed_transaction<Id>(
        &self,
        keys: &'static KeyTable<Id>,
        pipelined_commit: bool,
    ) -> Result<Box<PgTransaction<Id>>> {
        let commit_ready = pipelined_commit.then(|| Arc::clone(&self.commit_ready));
        Ok(Box::new(PgTransaction::new(
            self.conn().await?,
            keys,
            commit_ready,
        )))
    }

    /// A connection from the pool.
    pub(crate) async fn conn(&self) -> Result<Object<AsyncPgConnection>> {
        self.pool.get().await.map_err(pool_error)
    }

    /// A second connection for work that can run alongside the first, only if one is free (or
    /// can be opened) right now. Never waits for another request to give one back: a request
    /// holding one connection while waiting for a second could deadlock a busy pool.
    pub(crate) async fn spare_conn(&self) -> Option<Object<AsyncPgConnection>> {
        let timeouts = deadpool::managed::Timeouts {
            wait: Some(Duration::ZERO),
            create: Some(self.wait_timeout),
            recycle: Some(self.wait_timeout),
        };
        self.pool.timeout_get(&timeouts).await.ok()
    }

    /// The pool's connections right now, for metrics.
    pub fn pool_stats(&self) -> PoolStats {
        let status = self.pool.status();
        PoolStats {
            max_size: status.max_size,
            size: status.size,
            in_use: status.size.saturating_sub(status.available),
            waiting: status.waiting,
        }
    }

    /// Succeeds when the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.conn().await?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
