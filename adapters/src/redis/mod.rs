//! Redis adapter: a bb8 pool of multiplexed connections to a single node or to a Redis Cluster,
//! serving the cache port ([`cache`]), the shared rate limiter ([`rate_limit`]), the job queue
//! ([`queue`]) and readiness. [`keys`] lays the keys out so that every script and transaction
//! names keys of one hash slot, the same layout on both.
//!
//! Redis is an optimisation here, never a dependency a request must wait on: a short circuit
//! breaker stops every request from paying a connect timeout while Redis is down, and the
//! callers (core's read-through and rate-limit policy) fall back when an operation fails.

mod breaker;
pub mod cache;
pub mod keys;
mod manager;
pub mod queue;
pub mod rate_limit;
mod settings;

pub use settings::{RedisSettings, DEFAULT_REDIS_URL};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aforro_core::{Error, Result};
use bb8_redis::bb8::{Pool, PooledConnection};
use bb8_redis::RedisConnectionManager;
use keys::KeyLayout;
use manager::{is_connection_error, is_slot_moved, Target, TrackingManager};
use redis::RedisError;

use breaker::Breaker;

/// How long one attempt to get a connection may take before the request goes on without Redis.
const CONNECTION_TIMEOUT: Duration = Duration::from_millis(250);
/// How long a command may wait for its answer (as `bb8_redis`'s single-node default).
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);
/// How long a cache bump on a cluster waits for its replicas (see [`cache`]).
const REPLICATION_TIMEOUT: Duration = Duration::from_millis(100);
/// How long Redis is considered down after a connection failure before it is tried again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);
/// How often failed cache invalidations are retried in the background until Redis takes them.
const PENDING_BUMP_RETRY: Duration = Duration::from_millis(500);

/// The Redis adapter: a shared pool, cheap to clone.
#[derive(Clone)]
pub struct Redis {
    pool: Pool<TrackingManager>,
    /// Every key's name, under a prefix so deployments (and tests) can share one Redis.
    keys: KeyLayout,
    /// On a cluster: how many replicas must have a cache bump before it counts (see
    /// [`cache`]). `None` on a single node.
    replicas_to_wait: Option<u32>,
    breaker: Arc<Breaker>,
    /// Version keys whose bump failed; see [`cache`].
    pending_bumps: Arc<Mutex<Vec<String>>>,
    /// Whether a background task is retrying `pending_bumps`; see [`cache`].
    retrying_bumps: Arc<AtomicBool>,
    /// Unique per process, with `sequence`: distinct members for the rate limiter's log.
    nonce: u64,
    sequence: Arc<AtomicU64>,
    /// Operations that failed for want of Redis since start (bypassed cache reads, fallback
    /// rate-limit decisions, …): the count behind the logs.
    failures: Arc<AtomicU64>,
    /// Whether the job stream's consumer group is known to exist; see [`queue`].
    group_ready: Arc<AtomicBool>,
    /// Times this process bumped the cache epoch (Redis restarted, or came back after an
    /// outage this process saw); shared with the connection manager.
    epoch_bumps: Arc<AtomicU64>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("state", &self.pool.state())
            .finish()
    }
}

impl Redis {
    /// Builds the pool for a single Redis node without connecting, so the server starts while
    /// Redis is down. Every key this adapter writes starts with `key_prefix` (in braces for
    /// some: see [`keys`]). Fails only for a malformed URL.
    pub fn connect(redis_url: &str, key_prefix: &str) -> Result<Self> {
        let manager = RedisConnectionManager::new(redis_url).map_err(|e| Error::Internal(Box::new(e)))?;
        Ok(Self::with_target(Target::Single(manager), key_prefix, None))
    }

    /// Builds the pool for a Redis Cluster reached through any of `node_urls`, without
    /// connecting. A cache bump counts once `replicas_to_wait` replicas of its node have it
    /// (`WAIT`): a failover can then not bring back a version older than a response already
    /// given. 0 for a cluster without replicas. Fails for a malformed or empty list.
    pub fn connect_cluster(node_urls: &[String], key_prefix: &str, replicas_to_wait: u32) -> Result<Self> {
        if node_urls.is_empty() {
            return Err(Error::internal("a Redis Cluster needs at least one node URL"));
        }
        let client = redis::cluster::ClusterClientBuilder::new(node_urls.iter().map(String::as_str))
            .connection_timeout(CONNECTION_TIMEOUT)
            .response_timeout(RESPONSE_TIMEOUT)
            // A command that meets a failover fails soon and the request goes on without
            // Redis (the default retries for seconds with backoff).
            .retries(2)
            .min_retry_wait(50)
            .max_retry_wait(200)
            .build()
            .map_err(|e| Error::Internal(Box::new(e)))?;
        Ok(Self::with_target(
            Target::Cluster(Box::new(client)),
            key_prefix,
            Some(replicas_to_wait),
        ))
    }

    fn with_target(target: Target, key_prefix: &str, replicas_to_wait: Option<u32>) -> Self {
        let keys = KeyLayout::new(key_prefix);
        let epoch_bumps = Arc::new(AtomicU64::new(0));
        let pool = Pool::builder()
            .max_size(32)
            .connection_timeout(CONNECTION_TIMEOUT)
            // A refused connect is not retried in the background; the waiting get still ends
            // only at the timeout, which is why the breaker exists: one request per second
            // pays it while Redis is down, the others fail at once.
            .retry_connection(false)
            // No PING before each checkout: a failed command marks its connection broken and
            // the pool replaces it (see `manager`).
            .test_on_check_out(false)
            .build_unchecked(TrackingManager {
                target,
                run_id_key: keys.run_id(),
                epoch_keys: keys.epochs(),
                epoch_bumps: Arc::clone(&epoch_bumps),
            });
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default()
            ^ u64::from(std::process::id());
        Self {
            pool,
            keys,
            replicas_to_wait,
            breaker: Arc::new(Breaker::new(RETRY_AFTER_FAILURE)),
            pending_bumps: Arc::default(),
            retrying_bumps: Arc::default(),
            nonce,
            sequence: Arc::default(),
            group_ready: Arc::default(),
            failures: Arc::default(),
            epoch_bumps,
        }
    }

    /// Whether this adapter talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.replicas_to_wait.is_some()
    }

    /// The names of this deployment's keys (for tools and tests that look inside Redis).
    pub fn keys(&self) -> &KeyLayout {
        &self.keys
    }

    /// A connection for commands of the caller's own (tools and tests that look inside Redis);
    /// the same pool, breaker and error mapping as the adapter's.
    pub async fn connection(&self) -> Result<PooledConnection<'_, TrackingManager>> {
        self.conn().await
    }

    /// Succeeds when Redis answers `PING`. Ignores the breaker (this is how it learns Redis
    /// is back) and closes it on success.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.pool.get().await.map_err(|e| self.pool_error(e))?;
        let _: String = redis::cmd("PING")
            .query_async(&mut *conn)
            .await
            .map_err(|e| self.error(e))?;
        self.breaker.close();
        Ok(())
    }

    /// A pooled connection, or `Unavailable` at once while the breaker is open.
    pub(crate) async fn conn(&self) -> Result<PooledConnection<'_, TrackingManager>> {
        if self.breaker.is_open() {
            self.failures.fetch_add(1, Ordering::Relaxed);
            return Err(Error::Unavailable(
                "redis failed recently; not retried yet".into(),
            ));
        }
        self.pool.get().await.map_err(|e| self.pool_error(e))
    }

    /// Operations that failed because Redis could not be reached, since this process started.
    pub fn failed_operations(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Cache invalidations (version keys) that failed and wait to be applied; while any wait,
    /// this process bypasses the cache.
    pub fn pending_invalidations(&self) -> usize {
        self.pending_bumps.lock().map(|p| p.len()).unwrap_or(0)
    }

    /// Times this process bumped the cache epoch since it started.
    pub fn epoch_bumps(&self) -> u64 {
        self.epoch_bumps.load(Ordering::Relaxed)
    }

    fn pool_error(&self, error: bb8_redis::bb8::RunError<RedisError>) -> Error {
        self.outage();
        Error::Unavailable(error.to_string().into())
    }

    /// Maps a command error; connection trouble opens the breaker.
    pub(crate) fn error(&self, error: RedisError) -> Error {
        if is_connection_error(&error) {
            self.outage();
            Error::Unavailable(Box::new(error))
        } else if is_slot_moved(&error) {
            self.slot_moved();
            Error::Unavailable(Box::new(error))
        } else {
            Error::Internal(Box::new(error))
        }
    }

    /// A cluster slot is served by another node than this process knew: after a failover,
    /// whose promoted replica may lack the old master's last writes (version bumps among
    /// them), so the cache's epoch is bumped as after an outage. Nothing is down: the breaker
    /// stays closed. Without it, a server whose lookup met the MOVED answered from Postgres
    /// (the new stock), then, its slot map refreshed, served the entry the lost bump had
    /// orphaned (the old stock) until the process that took the order re-applied the bump
    /// (seen once in CI, `server/tests/api/cluster_failover.rs`). A slot moved by resharding
    /// costs a cold cache once per process.
    fn slot_moved(&self) {
        self.remember_bumps(self.keys.epochs());
    }

    /// Every sign that Redis went away: count it, open the breaker, and have the cache's epoch
    /// bumped once Redis answers again (see [`cache`]: Redis may come back without its last
    /// writes, among them version bumps whose entries it kept).
    fn outage(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        self.breaker.trip();
        self.remember_bumps(self.keys.epochs());
    }

    /// A string no other request of any process uses.
    pub(crate) fn unique(&self) -> String {
        format!(
            "{:x}-{:x}",
            self.nonce,
            self.sequence.fetch_add(1, Ordering::Relaxed)
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use redis::{ErrorKind, RedisError, ServerErrorKind};

    use super::*;

    /// Nothing listens there: these tests only map errors (the pool needs a runtime to be built).
    fn redis() -> Redis {
        Redis::connect("redis://127.0.0.1:1", "test").unwrap()
    }

    /// An error answer of the server, as the client reports it.
    fn server_error(kind: ServerErrorKind, detail: &str) -> RedisError {
        RedisError::from((ErrorKind::Server(kind), "an error answer", detail.to_owned()))
    }

    #[tokio::test]
    async fn a_moved_slot_bumps_every_cache_epoch_without_opening_the_breaker() {
        let redis = redis();
        let moved = server_error(ServerErrorKind::Moved, "94 127.0.0.1:57002");
        assert!(matches!(redis.error(moved), Error::Unavailable(_)));
        // Pending until applied, and meanwhile this process bypasses the cache.
        assert_eq!(redis.pending_invalidations(), keys::CACHE_BUCKETS as usize);
        assert_eq!(redis.failed_operations(), 0, "nothing was down");
        assert!(!redis.breaker.is_open(), "the breaker stays closed");
    }

    #[tokio::test]
    async fn a_refused_command_bumps_nothing() {
        let redis = redis();
        let refused = server_error(ServerErrorKind::ResponseError, "WRONGTYPE");
        assert!(matches!(redis.error(refused), Error::Internal(_)));
        assert_eq!(redis.pending_invalidations(), 0);
    }
}
