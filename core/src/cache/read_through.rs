//! The read-through helper every cached use-case goes through.

use std::future::Future;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::ports::{Cache, CacheKey};
use crate::{Page, PageRequest, Result};

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// Served from the cache.
    Hit,
    /// Loaded from the source of truth and stored for next time.
    Miss,
    /// Loaded from the source of truth because the cache could not be used.
    Bypass,
}

impl CacheStatus {
    /// `HIT`, `MISS` or `BYPASS`, as the `X-Cache` header spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "HIT",
            CacheStatus::Miss => "MISS",
            CacheStatus::Bypass => "BYPASS",
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Cached<T> {
    /// The value.
    pub value: T,
    /// Hit, miss or bypass.
    pub status: CacheStatus,
}

/// What a cached page stores: its items and total. The request is part of the key, so it is
/// not stored again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedPage<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The total across pages.
    pub total: u64,
}

impl<T> CachedPage<T> {
    /// The page again, for `request`.
    pub fn into_page(self, request: PageRequest) -> Page<T> {
        Page {
            items: self.items,
            total: self.total,
            request,
        }
    }
}

impl<T> From<Page<T>> for CachedPage<T> {
    fn from(page: Page<T>) -> Self {
        Self {
            items: page.items,
            total: page.total,
        }
    }
}

/// Returns the value cached under `key`, or loads it with `load`, caches it for `ttl` and
/// returns it. Errors are `load`'s only: a cache that fails or holds an undecodable value is
/// bypassed (and logged), and errors from `load` are never cached.
pub async fn read_through<T, F, Fut>(
    cache: &dyn Cache,
    key: &CacheKey,
    ttl: Duration,
    load: F,
) -> Result<Cached<T>>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let lookup = match cache.lookup(key).await {
        Ok(lookup) => lookup,
        Err(error) => {
            tracing::warn!(namespace = key.namespace, %error, "cache lookup failed; bypassing the cache");
            let value = load().await?;
            return Ok(Cached {
                value,
                status: CacheStatus::Bypass,
            });
        }
    };
    if let Some(bytes) = &lookup.value {
        match serde_json::from_slice(bytes) {
            Ok(value) => {
                return Ok(Cached {
                    value,
                    status: CacheStatus::Hit,
                })
            }
            // Written by another version of the code, or corrupted: load and overwrite it.
            Err(error) => tracing::warn!(namespace = key.namespace, %error, "undecodable cache entry"),
        }
    }
    let value = load().await?;
    let status = match serde_json::to_vec(&value) {
        Ok(bytes) => match cache.store(key, &lookup.stamp, bytes, ttl).await {
            Ok(()) => CacheStatus::Miss,
            Err(error) => {
                tracing::warn!(namespace = key.namespace, %error, "cache store failed");
                CacheStatus::Bypass
            }
        },
        Err(error) => {
            tracing::error!(namespace = key.namespace, %error, "value cannot be encoded for the cache");
            CacheStatus::Bypass
        }
    };
    Ok(Cached { value, status })
}
