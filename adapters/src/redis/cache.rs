//! [`Cache`] on Redis.
//!
//! Keys (after the configured prefix, `aforro` by default): `v:catalogue`, `v:stock`,
//! `v:store:{id}` hold version counters (absent = 0), and `v:epoch` one that every stamp
//! starts with; `c:{namespace}:{request}@{versions}` hold encoded values. A lookup reads
//! the versions and the entry for them in one Lua script, so a hit costs one round trip and
//! cannot pair an entry with versions read at another moment.
//!
//! The epoch covers what Redis itself can lose: with `appendfsync everysec` a crash loses up to
//! a second of writes, and a version bump among them would leave an entry it should have
//! orphaned current again (the order it invalidated for is committed in Postgres). The epoch
//! is bumped when a new connection finds that Redis restarted (its `run_id` changed; see
//! `manager`), and by every process that saw Redis go away (a failed connection or command)
//! once Redis answers again, as a pending bump (below). Either way every entry stored before
//! is orphaned, at the price of a cold cache after each outage.
//!
//! A bump that fails (Redis unreachable when an order commits) is remembered: until it has been
//! applied, this process's lookups fail and callers bypass the cache, so this process never
//! serves what that order made stale. Other processes cannot know about it, so it must not
//! wait for this process's next lookup either: a background task retries it every half second
//! until Redis takes it, so other processes serve the old entries at most that long after
//! Redis is back.

use std::sync::atomic::Ordering;
use std::sync::LazyLock;
use std::time::Duration;

use aforro_core::cache::{Cache, CacheKey, Lookup, Scope};
use aforro_core::{Error, Result};
use async_trait::async_trait;

use super::{Redis, PENDING_BUMP_RETRY};

static LOOKUP: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local stamp = {}
for i = 1, #KEYS do stamp[i] = redis.call('GET', KEYS[i]) or '0' end
local joined = table.concat(stamp, '.')
return {joined, redis.call('GET', ARGV[1] .. '@' .. joined)}
",
    )
});

impl Redis {
    fn version_key(&self, scope: &Scope) -> String {
        let prefix = &self.prefix;
        match scope {
            Scope::Catalogue => format!("{prefix}:v:catalogue"),
            Scope::Stock => format!("{prefix}:v:stock"),
            Scope::Store(store) => format!("{prefix}:v:store:{store}"),
        }
    }

    pub(super) fn epoch_key(&self) -> String {
        super::epoch_key(&self.prefix)
    }

    fn entry_key(&self, key: &CacheKey) -> String {
        format!("{}:c:{}:{}", self.prefix, key.namespace, key.request)
    }

    /// Applies bumps that failed earlier. Fails while Redis still cannot take them.
    async fn apply_pending_bumps(&self) -> Result<()> {
        let pending = match self.pending_bumps.lock() {
            Ok(pending) if pending.is_empty() => return Ok(()),
            Ok(pending) => pending.clone(),
            Err(_) => return Err(Error::internal("pending bump list poisoned")),
        };
        self.incr(&pending).await?;
        if pending.contains(&self.epoch_key()) {
            self.epoch_bumps.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut list) = self.pending_bumps.lock() {
            list.retain(|key| !pending.contains(key));
        }
        tracing::info!(
            keys = pending.len(),
            "applied cache invalidations that failed earlier"
        );
        Ok(())
    }

    /// Keeps `keys` to bump once Redis takes them; until then this process bypasses the cache.
    pub(super) fn remember_bumps(&self, keys: Vec<String>) {
        if let Ok(mut pending) = self.pending_bumps.lock() {
            for key in keys {
                if !pending.contains(&key) {
                    pending.push(key);
                }
            }
        }
        self.retry_pending_bumps();
    }

    /// Starts the background task that applies pending bumps, unless one runs. Without a Tokio
    /// runtime (never the case in these binaries) the next lookup still applies them.
    fn retry_pending_bumps(&self) {
        if self.retrying_bumps.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.retrying_bumps.store(false, Ordering::Release);
            return;
        };
        let redis = self.clone();
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(PENDING_BUMP_RETRY).await;
                if redis.apply_pending_bumps().await.is_ok() {
                    break;
                }
            }
            redis.retrying_bumps.store(false, Ordering::Release);
            // A bump that failed after the last apply but before the flag was cleared found a
            // task running and left it the work: take it on again.
            if redis.has_pending_bumps() {
                redis.retry_pending_bumps();
            }
        });
    }

    fn has_pending_bumps(&self) -> bool {
        self.pending_bumps
            .lock()
            .map(|pending| !pending.is_empty())
            .unwrap_or(true)
    }

    async fn incr(&self, keys: &[String]) -> Result<()> {
        let mut conn = self.conn().await?;
        let mut pipe = redis::pipe();
        pipe.atomic();
        for key in keys {
            pipe.incr(key, 1).ignore();
        }
        pipe.query_async::<()>(&mut *conn)
            .await
            .map_err(|e| self.error(e))
    }
}

#[async_trait]
impl Cache for Redis {
    async fn lookup(&self, key: &CacheKey) -> Result<Lookup> {
        self.apply_pending_bumps().await?;
        let mut conn = self.conn().await?;
        let mut invocation = LOOKUP.prepare_invoke();
        invocation.key(self.epoch_key());
        for scope in &key.scopes {
            invocation.key(self.version_key(scope));
        }
        let (stamp, value): (String, Option<Vec<u8>>) = invocation
            .arg(self.entry_key(key))
            .invoke_async(&mut *conn)
            .await
            .map_err(|e| self.error(e))?;
        Ok(Lookup { stamp, value })
    }

    async fn store(&self, key: &CacheKey, stamp: &str, value: Vec<u8>, ttl: Duration) -> Result<()> {
        let mut conn = self.conn().await?;
        redis::cmd("SET")
            .arg(format!("{}@{stamp}", self.entry_key(key)))
            .arg(value)
            .arg("PX")
            .arg(ttl.as_millis().max(1) as u64)
            .query_async::<()>(&mut *conn)
            .await
            .map_err(|e| self.error(e))
    }

    async fn bump(&self, scopes: &[Scope]) -> Result<()> {
        let keys: Vec<String> = scopes.iter().map(|s| self.version_key(s)).collect();
        let result = self.incr(&keys).await;
        if result.is_err() {
            self.remember_bumps(keys);
        }
        result
    }
}
