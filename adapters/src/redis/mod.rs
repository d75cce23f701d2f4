//! Redis adapter: a bb8 pool of multiplexed connections.
//!
//! For now it serves readiness; the cache and rate-limit ports build on the same pool.

use std::time::Duration;

use aforro_core::{Error, Result};
use bb8_redis::bb8::Pool;
use bb8_redis::RedisConnectionManager;

/// The Redis adapter: a shared pool, cheap to clone.
#[derive(Clone)]
pub struct Redis {
    pool: Pool<RedisConnectionManager>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("state", &self.pool.state())
            .finish()
    }
}

impl Redis {
    /// Builds the pool without connecting, so the server starts while Redis is down.
    /// Fails only for a malformed URL.
    pub fn connect(redis_url: &str) -> Result<Self> {
        let manager = RedisConnectionManager::new(redis_url).map_err(|e| Error::Internal(Box::new(e)))?;
        let pool = Pool::builder()
            .max_size(16)
            .connection_timeout(Duration::from_secs(2))
            .build_unchecked(manager);
        Ok(Self { pool })
    }

    /// Succeeds when Redis answers `PING`.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(|e| Error::Unavailable(e.to_string().into()))?;
        let _: String = redis::cmd("PING")
            .query_async(&mut *conn)
            .await
            .map_err(|e| Error::Unavailable(Box::new(e)))?;
        Ok(())
    }
}
