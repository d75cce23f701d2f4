//! The bb8 connection manager: a multiplexed connection to a single node (`bb8_redis`'s) or a
//! cluster connection, plus a flag that marks a connection broken when a command on it fails
//! for connection reasons.
//!
//! The cluster's connections are pooled too, though each one already multiplexes: a worker's
//! blocking `XREADGROUP` holds its connection (to the stream's node) for up to its block time,
//! and every command sent behind it on the same connection would wait that long.
//!
//! `bb8_redis` cannot tell a dead multiplexed connection from a live one without a `PING`, so
//! the pool would have to ping before every checkout — one extra round trip for every cache
//! read, rate-limit check and invalidation. Instead the flag is set by the failing command
//! itself and the pool drops the connection when it comes back (`has_broken`): after a Redis
//! restart, one command per pooled connection fails (and is bypassed), then fresh connections
//! take over.
//!
//! On a single node, each new connection also checks whether Redis restarted since the last connection anyone
//! made (its `run_id` against the one stored under the cache's `v:run_id` key) and, if so,
//! bumps the cache's epoch before the connection is used: a Redis that restarted may have
//! restored cache entries from its append-only file without the version bumps of its last
//! second (see [`super::cache`]). After a restart every connection is new, so no lookup can
//! run before the check.

use std::sync::LazyLock;

use bb8_redis::bb8::ManageConnection;
use bb8_redis::RedisConnectionManager;
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisError, RedisFuture, Value};

/// Stores the server's run id (KEYS[1]) and bumps the epochs (the other KEYS) when the stored
/// one differs. Atomic, so of several processes connecting after a restart exactly one bumps.
/// Single node only: the keys are of several slots.
static NOTE_RUN_ID: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1])
  for i = 2, #KEYS do redis.call('INCR', KEYS[i]) end
  return 1
end
return 0
",
    )
});

/// Whether `error` means the connection itself is unusable, or (on a cluster) that the node
/// serving the key is failing over: either way Redis may come back without its last writes.
pub(crate) fn is_connection_error(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || matches!(error.code(), Some("CLUSTERDOWN" | "TRYAGAIN" | "MASTERDOWN"))
}

/// A cluster's MOVED redirect that reached us (the cluster client follows most of them
/// itself): the slot is served by another node, as after a failover.
pub(crate) fn is_slot_moved(error: &RedisError) -> bool {
    error.code() == Some("MOVED")
}

/// A connection to a single node or to a cluster.
enum Inner {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

/// A pooled connection that remembers whether it failed.
pub struct TrackedConnection {
    inner: Inner,
    broken: bool,
}

impl TrackedConnection {
    fn track<T>(&mut self, result: redis::RedisResult<T>) -> redis::RedisResult<T> {
        if let Err(error) = &result {
            if is_connection_error(error) {
                self.broken = true;
            }
        }
        result
    }
}

impl ConnectionLike for TrackedConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let result = match &mut self.inner {
                Inner::Single(conn) => conn.req_packed_command(cmd).await,
                Inner::Cluster(conn) => conn.req_packed_command(cmd).await,
            };
            self.track(result)
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let result = match &mut self.inner {
                Inner::Single(conn) => conn.req_packed_commands(pipeline, offset, count).await,
                Inner::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count).await,
            };
            self.track(result)
        })
    }

    fn get_db(&self) -> i64 {
        match &self.inner {
            Inner::Single(conn) => conn.get_db(),
            Inner::Cluster(conn) => conn.get_db(),
        }
    }
}

/// What the pool connects to.
pub(crate) enum Target {
    Single(RedisConnectionManager),
    Cluster(Box<ClusterClient>),
}

/// Opens connections that mark themselves broken and, on a single node, check whether Redis
/// restarted.
pub struct TrackingManager {
    pub(crate) target: Target,
    /// `{prefix}:v:run_id`: the run id of the Redis server the last connection met.
    pub(crate) run_id_key: String,
    /// The epoch counter of every cache bucket (see [`super::keys`]).
    pub(crate) epoch_keys: Vec<String>,
    /// Counts the epoch bumps made here (see [`super::Redis::epoch_bumps`]).
    pub(crate) epoch_bumps: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl TrackingManager {
    /// Bumps the epoch when Redis restarted since the last check. A Redis that refuses
    /// `INFO` (some managed services rename it) is used without the check: a process still
    /// bumps the epoch after an outage it saw itself.
    async fn note_run_id(&self, conn: &mut MultiplexedConnection) -> Result<(), RedisError> {
        let info: redis::InfoDict = match redis::cmd("INFO").arg("server").query_async(conn).await {
            Ok(info) => info,
            Err(error) if is_connection_error(&error) => return Err(error),
            Err(error) => {
                tracing::warn!(%error, "redis INFO refused; restarts are noticed only through failures");
                return Ok(());
            }
        };
        let Some(run_id) = info.get::<String>("run_id") else {
            return Ok(());
        };
        let mut invocation = NOTE_RUN_ID.key(&self.run_id_key);
        for epoch in &self.epoch_keys {
            invocation.key(epoch);
        }
        let bumped: i64 = invocation.arg(run_id).invoke_async(conn).await?;
        if bumped == 1 {
            self.epoch_bumps
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::info!("redis (re)started since the last connection: cache epoch bumped");
        }
        Ok(())
    }
}

impl ManageConnection for TrackingManager {
    type Connection = TrackedConnection;
    type Error = RedisError;

    async fn connect(&self) -> Result<Self::Connection, Self::Error> {
        let inner = match &self.target {
            Target::Single(manager) => {
                let mut conn = manager.connect().await?;
                self.note_run_id(&mut conn).await?;
                Inner::Single(conn)
            }
            // No run-id check: a cluster's nodes each have their own, and a connection may
            // reach any of them later. A node that fails over or restarts shows itself as
            // failed commands instead (see `is_connection_error`), and bumps are replicated
            // before they count (see `super::cache`).
            Target::Cluster(client) => Inner::Cluster(client.get_async_connection().await?),
        };
        Ok(TrackedConnection { inner, broken: false })
    }

    async fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        redis::cmd("PING").query_async::<()>(conn).await
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        conn.broken
    }
}
