//! [`Cache`] on Redis.
//!
//! Keys (see [`super::keys`] for the hash tags that spread them over a cluster's slots): each
//! cache bucket holds version counters (absent = 0) — `v:catalogue`, `v:stock`,
//! `v:store:{id}` — and `v:epoch`, which every stamp starts with; `c:{namespace}:{request}`
//! holds the value last stored for that request, prefixed with the stamp it was loaded at. A
//! lookup reads the counters and the entry in one Lua script and returns the value only when
//! its stamp is the current one, so a hit costs one round trip and cannot pair a value with
//! versions read at another moment. Every key the script touches is declared and shares the
//! bucket's hash tag.
//!
//! The epoch covers what Redis itself can lose: with `appendfsync everysec` a crash loses up to
//! a second of writes, and a version bump among them would leave an entry it should have
//! orphaned current again (the order it invalidated for is committed in Postgres). The epoch
//! is bumped when a new connection finds that a single node restarted (its `run_id` changed;
//! see `manager`), and by every process that saw Redis go away (a failed connection or command)
//! once Redis answers again, as a pending bump (below). Either way every entry stored before
//! is orphaned, at the price of a cold cache after each outage.
//!
//! On a cluster a failover can lose writes the same way: a replica is promoted without what
//! its master had not yet sent it. So a bump there counts only once `WAIT` says enough
//! replicas have it; until then it is treated as a failed bump.
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

use super::keys::KeyLayout;
use super::{Redis, PENDING_BUMP_RETRY};

/// KEYS: the bucket's epoch, the scopes' counters, then the entry. Returns {stamp, value or
/// nil}; an entry is `stamp|value`.
static LOOKUP: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local stamp = {}
for i = 1, #KEYS - 1 do stamp[i] = redis.call('GET', KEYS[i]) or '0' end
local joined = table.concat(stamp, '.') .. '|'
local entry = redis.call('GET', KEYS[#KEYS])
if entry and string.sub(entry, 1, #joined) == joined then
  return {joined, string.sub(entry, #joined + 1)}
end
return {joined, false}
",
    )
});

impl Redis {
    /// Applies bumps that failed earlier. Fails while Redis still cannot take them.
    async fn apply_pending_bumps(&self) -> Result<()> {
        let pending = match self.pending_bumps.lock() {
            Ok(pending) if pending.is_empty() => return Ok(()),
            Ok(pending) => pending.clone(),
            Err(_) => return Err(Error::internal("pending bump list poisoned")),
        };
        self.incr(&pending).await?;
        if pending.iter().any(|key| key.ends_with(":v:epoch")) {
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
            for attempt in 1u64.. {
                tokio::time::sleep(PENDING_BUMP_RETRY).await;
                match redis.apply_pending_bumps().await {
                    Ok(()) => break,
                    // Said now and then, not at every retry: a cluster whose replica is gone
                    // fails every bump until it is back (see `REDIS_CLUSTER_WAIT_REPLICAS`).
                    Err(error) if attempt % 20 == 1 => tracing::warn!(
                        %error,
                        attempt,
                        "cache invalidations still pending; this process bypasses the cache"
                    ),
                    Err(_) => {}
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

    /// Increments `keys`. On a single node in one MULTI; on a cluster one pipeline per hash
    /// tag (a slot), each ending in `WAIT` for the replicas: not atomic across slots, and need
    /// not be — every bucket's counters guard only the entries of that bucket.
    async fn incr(&self, keys: &[String]) -> Result<()> {
        let Some(replicas) = self.replicas_to_wait else {
            let mut conn = self.conn().await?;
            let mut pipe = redis::pipe();
            pipe.atomic();
            for key in keys {
                pipe.incr(key, 1).ignore();
            }
            return pipe
                .query_async::<()>(&mut *conn)
                .await
                .map_err(|e| self.error(e));
        };
        let mut by_slot: Vec<(&str, Vec<&String>)> = Vec::new();
        for key in keys {
            let tag = super::keys::hash_tag(key);
            match by_slot.iter_mut().find(|(t, _)| *t == tag) {
                Some((_, group)) => group.push(key),
                None => by_slot.push((tag, vec![key])),
            }
        }
        let groups = by_slot
            .into_iter()
            .map(|(_, group)| self.incr_replicated(group, replicas));
        futures_util::future::try_join_all(groups).await?;
        Ok(())
    }

    /// Increments `keys` (of one slot) and waits until `replicas` replicas have the change.
    async fn incr_replicated(&self, keys: Vec<&String>, replicas: u32) -> Result<()> {
        let mut conn = self.conn().await?;
        let mut pipe = redis::pipe();
        for key in &keys {
            pipe.incr(*key, 1).ignore();
        }
        // WAIT names no key: the cluster connection sends it with the pipeline's slot, to the
        // node that just took the increments.
        pipe.cmd("WAIT")
            .arg(replicas)
            .arg(super::REPLICATION_TIMEOUT.as_millis() as u64);
        let (acknowledged,): (u32,) = pipe.query_async(&mut *conn).await.map_err(|e| self.error(e))?;
        if acknowledged < replicas {
            return Err(Error::Unavailable(
                format!(
                    "cache bump reached {acknowledged} of {replicas} replicas within {:?}",
                    super::REPLICATION_TIMEOUT
                )
                .into(),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Cache for Redis {
    async fn lookup(&self, key: &CacheKey) -> Result<Lookup> {
        self.apply_pending_bumps().await?;
        let bucket = KeyLayout::bucket_of(key);
        let mut invocation = LOOKUP.prepare_invoke();
        invocation.key(self.keys.epoch(bucket));
        for scope in &key.scopes {
            invocation.key(self.keys.version(scope, bucket));
        }
        invocation.key(self.keys.entry(key));
        let mut conn = self.conn().await?;
        let (stamp, value): (String, Option<Vec<u8>>) = invocation
            .invoke_async(&mut *conn)
            .await
            .map_err(|e| self.error(e))?;
        Ok(Lookup { stamp, value })
    }

    async fn store(&self, key: &CacheKey, stamp: &str, value: Vec<u8>, ttl: Duration) -> Result<()> {
        // `stamp` is what `lookup` returned: the counters joined, ending in `|`.
        let mut entry = Vec::with_capacity(stamp.len() + value.len());
        entry.extend_from_slice(stamp.as_bytes());
        entry.extend_from_slice(&value);
        let mut conn = self.conn().await?;
        redis::cmd("SET")
            .arg(self.keys.entry(key))
            .arg(entry)
            .arg("PX")
            .arg(ttl.as_millis().max(1) as u64)
            .query_async::<()>(&mut *conn)
            .await
            .map_err(|e| self.error(e))
    }

    async fn bump(&self, scopes: &[Scope]) -> Result<()> {
        let keys: Vec<String> = scopes
            .iter()
            .flat_map(|scope| self.keys.versions_to_bump(scope))
            .collect();
        let result = self.incr(&keys).await;
        if result.is_err() {
            self.remember_bumps(keys);
        }
        result
    }
}
