//! The cache port.

use std::time::Duration;

use async_trait::async_trait;

use crate::{Result, StoreId};

/// Something cached data depends on; changing it bumps its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Products and categories: changed by loading a catalogue (the seeder) and by every
    /// category or product write.
    Catalogue,
    /// The stock of one store: changed by every order confirmed in it and every adjustment.
    Store(StoreId),
    /// Stock in any store (whether a product is in stock anywhere): changed by every confirmed
    /// order and every adjustment.
    Stock,
}

/// Where a value lives: a namespace, the normalised request, and the scopes it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    /// What kind of value (`inventory`, `search`, `suggest`).
    pub namespace: &'static str,
    /// The request, normalised so equal requests give equal text.
    pub request: String,
    /// Every scope whose change makes the value stale.
    pub scopes: Vec<Scope>,
}

/// The answer to [`Cache::lookup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The versions of the key's scopes at lookup time, to store a freshly loaded value under.
    pub stamp: String,
    /// The value stored for those versions, if any.
    pub value: Option<Vec<u8>>,
}

/// A shared cache of encoded values, versioned by [`Scope`].
///
/// Errors: [`crate::Error::Unavailable`] whenever the cache cannot answer; callers treat every
/// error as a reason to bypass the cache, never to fail the request.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Cache: Send + Sync {
    /// Reads the current versions of `key.scopes` and the value stored under them, at once.
    async fn lookup(&self, key: &CacheKey) -> Result<Lookup>;

    /// Stores `value` for `key` at the versions of `stamp`, expiring after `ttl`.
    async fn store(&self, key: &CacheKey, stamp: &str, value: Vec<u8>, ttl: Duration) -> Result<()>;

    /// Bumps the versions of `scopes`: no value cached before can be looked up after this returns.
    async fn bump(&self, scopes: &[Scope]) -> Result<()>;
}
