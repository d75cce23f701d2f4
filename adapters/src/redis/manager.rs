//! The bb8 connection manager: `bb8_redis`'s, plus a flag that marks a connection broken when
//! a command on it fails for connection reasons.
//!
//! `bb8_redis` cannot tell a dead multiplexed connection from a live one without a `PING`, so
//! the pool would have to ping before every checkout — one extra round trip for every cache
//! read, rate-limit check and invalidation. Instead the flag is set by the failing command
//! itself and the pool drops the connection when it comes back (`has_broken`): after a Redis
//! restart, one command per pooled connection fails (and is bypassed), then fresh connections
//! take over.
//!
//! Each new connection also checks whether Redis restarted since the last connection anyone
//! made (its `run_id` against the one stored under the cache's `v:run_id` key) and, if so,
//! bumps the cache's epoch before the connection is used: a Redis that restarted may have
//! restored cache entries from its append-only file without the version bumps of its last
//! second (see [`super::cache`]). After a restart every connection is new, so no lookup can
//! run before the check.

use std::sync::LazyLock;

use bb8_redis::bb8::ManageConnection;
use bb8_redis::RedisConnectionManager;
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{Cmd, Pipeline, RedisError, RedisFuture, Value};

/// Stores the server's run id and bumps the epoch when the stored one differs. Atomic, so of
/// several processes connecting after a restart exactly one bumps.
static NOTE_RUN_ID: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('INCR', KEYS[2])
  return 1
end
return 0
",
    )
});

/// Whether `error` means the connection itself is unusable.
pub(crate) fn is_connection_error(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
}

/// A pooled connection that remembers whether it failed.
pub struct TrackedConnection {
    inner: MultiplexedConnection,
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
            let result = self.inner.req_packed_command(cmd).await;
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
            let result = self.inner.req_packed_commands(pipeline, offset, count).await;
            self.track(result)
        })
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}

/// [`RedisConnectionManager`] with connections that mark themselves broken and check, when
/// opened, whether Redis restarted.
pub struct TrackingManager {
    pub(crate) inner: RedisConnectionManager,
    /// `{prefix}:v:run_id`: the run id of the Redis server the last connection met.
    pub(crate) run_id_key: String,
    /// `{prefix}:v:epoch`.
    pub(crate) epoch_key: String,
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
        let bumped: i64 = NOTE_RUN_ID
            .key(&self.run_id_key)
            .key(&self.epoch_key)
            .arg(run_id)
            .invoke_async(conn)
            .await?;
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
        let mut inner = self.inner.connect().await?;
        self.note_run_id(&mut inner).await?;
        Ok(TrackedConnection { inner, broken: false })
    }

    async fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        self.inner.is_valid(&mut conn.inner).await
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        conn.broken
    }
}
