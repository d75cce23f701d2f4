//! What a write needs ([`WritePorts`]), and the invalidation after it with its durable
//! fallback through the outbox.
//!
//! A write bumps the versions of what it changed after it committed and before it answers,
//! so that the client's next read cannot be served from before its write
//! ([`WritePorts::bump_or_defer`]). When that bump fails (the cache unreachable from this
//! process) the write still stands, and two things make up for the bump: the cache adapter
//! keeps bypassing its own entries and retries it (see the Redis adapter), and a job is
//! written to the outbox ([`Stale::job`]) so that a worker bumps the versions for every other
//! process ([`bump_deferred`]) — also when this process dies before it reaches the cache
//! again, or stays cut off from a cache the others still use.

use std::fmt;

use super::ports::{Cache, Scope};
use crate::outbox::{Job, Outbox};
use crate::{Result, StoreId};

/// What a write needs: where its domain is stored, the response cache to invalidate after it,
/// and where an invalidation this process could not apply goes, for the worker. The same
/// shape for every domain that writes (`OrderWriter`, `StockWriter`, `CatalogueWriter` name
/// it with their repository); an embedder without a shared cache passes
/// [`NoCache`](super::NoCache).
pub struct WritePorts<'a, R: ?Sized + 'a> {
    /// Where the domain is stored.
    pub repository: &'a R,
    /// The response cache to invalidate.
    pub cache: &'a dyn Cache,
    /// Where an invalidation this process could not apply goes, for the worker.
    pub outbox: &'a dyn Outbox,
}

impl<R: ?Sized> Clone for WritePorts<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R: ?Sized> Copy for WritePorts<'_, R> {}

/// What a committed write made stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// A store's stock (a confirmed order, a stock adjustment): the store's own reads, and
    /// whether a product is in stock anywhere.
    Stock(StoreId),
    /// Products and categories (a category or product write): every read that shows them.
    Catalogue,
}

impl Stale {
    /// The scopes to bump.
    pub fn scopes(self) -> Vec<Scope> {
        match self {
            Stale::Stock(store_id) => vec![Scope::Store(store_id), Scope::Stock],
            Stale::Catalogue => vec![Scope::Catalogue],
        }
    }

    /// The job that bumps them on behalf of a process that could not.
    pub fn job(self) -> Job {
        match self {
            Stale::Stock(store_id) => Job::CacheInvalidation { store_id },
            Stale::Catalogue => Job::CatalogueInvalidation,
        }
    }
}

impl<R: ?Sized> WritePorts<'_, R> {
    /// After a committed write (`change` and its `id`, for the log): bumps what it made
    /// stale, or — when the bump fails — hands the bump to the worker through the outbox, and
    /// logs that. Never fails: the write stands either way.
    pub async fn bump_or_defer(&self, stale: Stale, change: impl fmt::Display + Send, id: i64) {
        let Err(error) = self.cache.bump(&stale.scopes()).await else {
            return;
        };
        // A job already waiting for the same scopes will bump after this write committed:
        // the outbox adds none then (see `Outbox::enqueue`).
        match self.outbox.enqueue(&stale.job()).await {
            Ok(_) => tracing::warn!(
                %change,
                id,
                ?stale,
                %error,
                "cache invalidation failed; handed to the worker through the outbox"
            ),
            // Only the cache adapter's own retry is left: other processes may serve entries
            // from before this write until it succeeds, the next write to the same scopes, or
            // the entries' TTL.
            Err(outbox_error) => tracing::error!(
                %change,
                id,
                ?stale,
                %error,
                %outbox_error,
                "cache invalidation failed and could not be handed to the worker"
            ),
        }
    }
}

/// Runs a bump handed over by [`WritePorts::bump_or_defer`] (a [`Job::CacheInvalidation`] or
/// [`Job::CatalogueInvalidation`]). A failed bump is returned, so the job is retried.
pub async fn bump_deferred(cache: &dyn Cache, stale: Stale) -> Result<()> {
    cache.bump(&stale.scopes()).await?;
    tracing::debug!(?stale, "cache invalidated on behalf of a server that could not");
    Ok(())
}
