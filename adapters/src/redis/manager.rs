//! The bb8 connection manager: `bb8_redis`'s, plus a flag that marks a connection broken when
//! a command on it fails for connection reasons.
//!
//! `bb8_redis` cannot tell a dead multiplexed connection from a live one without a `PING`, so
//! the pool would have to ping before every checkout — one extra round trip for every cache
//! read, rate-limit check and invalidation. Instead the flag is set by the failing command
//! itself and the pool drops the connection when it comes back (`has_broken`): after a Redis
//! restart, one command per pooled connection fails (and is bypassed), then fresh connections
//! take over.

use bb8_redis::bb8::ManageConnection;
use bb8_redis::RedisConnectionManager;
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{Cmd, Pipeline, RedisError, RedisFuture, Value};

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

/// [`RedisConnectionManager`] with connections that mark themselves broken.
pub struct TrackingManager(pub RedisConnectionManager);

impl ManageConnection for TrackingManager {
    type Connection = TrackedConnection;
    type Error = RedisError;

    async fn connect(&self) -> Result<Self::Connection, Self::Error> {
        Ok(TrackedConnection {
            inner: self.0.connect().await?,
            broken: false,
        })
    }

    async fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        self.0.is_valid(&mut conn.inner).await
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        conn.broken
    }
}
