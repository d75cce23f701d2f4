//! Read-through caching with exact invalidation.
//!
//! A cached value is stored with a *stamp*: the versions, at lookup time, of every scope it
//! depends on (the catalogue, one store's stock, stock anywhere), as [`Lookup::stamp`] returns
//! them. A lookup reads the current versions and the entry together and returns the value only
//! when its stamp is the current one. Changing data bumps the versions of its scopes after the
//! change is committed, so no later lookup accepts a value computed before the change; a slow
//! reader that stores an old value after the bump stores it with the old stamp, which no lookup
//! accepts either. Stale entries are overwritten by the next miss or expire on their TTL, which
//! is only a bound on memory, not a part of correctness.
//!
//! The cache is an optimisation: when it fails, reads go to the source of truth and say so
//! ([`CacheStatus::Bypass`]); a use-case never fails because the cache did. A write whose bump
//! fails hands it to the worker through the outbox ([`WritePorts::bump_or_defer`]): every
//! domain that writes takes the same [`WritePorts`].

mod invalidation;
mod ports;
mod read_through;
#[cfg(test)]
mod tests;

pub use invalidation::{bump_deferred, Stale, WritePorts};
pub use ports::{Cache, CacheKey, Lookup, Scope};
pub use read_through::{read_through, CacheStatus, Cached, CachedPage};

#[cfg(any(test, feature = "mock"))]
pub use ports::MockCache;

/// A cache that keeps nothing: every read loads from the source (status `MISS`). For
/// embedders without a shared cache, and for measuring the service without one.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCache;

#[async_trait::async_trait]
impl Cache for NoCache {
    async fn lookup(&self, _key: &CacheKey) -> crate::Result<Lookup> {
        Ok(Lookup {
            stamp: String::new(),
            value: None,
        })
    }

    async fn store(
        &self,
        _key: &CacheKey,
        _stamp: &str,
        _value: Vec<u8>,
        _ttl: std::time::Duration,
    ) -> crate::Result<()> {
        Ok(())
    }

    async fn bump(&self, _scopes: &[Scope]) -> crate::Result<()> {
        Ok(())
    }
}
