//! [`RateLimiter`] on Redis: an exact sliding window (a log of request times per client in a
//! sorted set), checked and updated by one Lua script, so every server process shares it and
//! two requests at once cannot both take the last slot. Time comes from Redis's own clock, so
//! processes with skewed clocks still agree.

use std::sync::LazyLock;
use std::time::Duration;

use aforro_core::rate_limit::{RateDecision, RateLimit, RateLimiter};
use aforro_core::Result;
use async_trait::async_trait;

use super::Redis;

/// KEYS[1]: the client's log. ARGV: limit, window (ms), a unique member.
/// Returns {allowed (0/1), remaining, ms until the oldest counted request leaves the window}.
static SLIDING_WINDOW: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  count = count + 1
  allowed = 1
end
redis.call('PEXPIRE', KEYS[1], window)
local wait = 0
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then wait = tonumber(oldest[2]) + window - now end
return {allowed, limit - count, wait}
",
    )
});

#[async_trait]
impl RateLimiter for Redis {
    async fn hit(&self, bucket: &str, client: &str, rule: RateLimit) -> Result<RateDecision> {
        let mut conn = self.conn().await?;
        let (allowed, remaining, wait_ms): (i64, i64, i64) = SLIDING_WINDOW
            .key(self.keys.rate_limit(bucket, client))
            .arg(rule.limit)
            .arg(rule.window.as_millis() as u64)
            .arg(self.unique())
            .invoke_async(&mut *conn)
            .await
            .map_err(|e| self.error(e))?;
        Ok(RateDecision {
            allowed: allowed == 1,
            limit: rule.limit,
            remaining: u32::try_from(remaining.max(0)).unwrap_or(0),
            reset_after: Duration::from_millis(u64::try_from(wait_ms.max(0)).unwrap_or(0)),
        })
    }
}
