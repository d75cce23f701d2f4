//! The outbox: jobs written with the data that caused them, so that a crash cannot lose one.
//!
//! What a job is and the port that stores it, apart from the pipeline that publishes and runs
//! jobs: every write that may leave work for a worker (an order, a cache bump this process
//! could not apply) needs the outbox, and none needs the pipeline.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{Error, OrderId, Result, StoreId};

/// Work for a worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Send the confirmation of a confirmed order (once, whatever the deliveries).
    OrderConfirmation {
        /// The order.
        order_id: OrderId,
    },
    /// Send the cancellation of a cancelled order (once, whatever the deliveries). Written by
    /// the cancellation's own transaction, so a crash after it commits cannot lose the email.
    OrderCancellation {
        /// The order.
        order_id: OrderId,
    },
    /// Compute every store's inventory summary of a UTC day (replacing an earlier run's).
    InventorySummary {
        /// The day.
        day: NaiveDate,
    },
    /// Invalidate the cached reads of a store's stock (and of stock anywhere), on behalf of a
    /// server that could not reach the cache after a confirmed order or a stock adjustment
    /// there (the cache module's bump-or-defer hands it over). Bumping twice is harmless.
    CacheInvalidation {
        /// The store.
        store_id: StoreId,
    },
    /// Invalidate every cached read of the catalogue (search, suggest, inventory pages), on
    /// behalf of a server that could not reach the cache after a category or product write
    /// (handed over the same way). Bumping twice is harmless.
    CatalogueInvalidation,
}

impl Job {
    /// A short name for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::OrderConfirmation { .. } => "order_confirmation",
            Job::OrderCancellation { .. } => "order_cancellation",
            Job::InventorySummary { .. } => "inventory_summary",
            Job::CacheInvalidation { .. } => "cache_invalidation",
            Job::CatalogueInvalidation => "catalogue_invalidation",
        }
    }
}

/// Where a job came from, for the operator: carried from the outbox row through the queue to
/// the worker, which logs the trace id and measures the time from enqueue to done. No
/// use-case decides anything by it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobOrigin {
    /// The W3C trace id of the request (or job) that enqueued it, if it ran in one.
    pub trace_id: Option<String>,
    /// When it was written to the outbox.
    pub enqueued_at: Option<DateTime<Utc>>,
}

/// A job waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The outbox row.
    pub id: i64,
    /// The job.
    pub job: Job,
    /// Where it came from.
    pub origin: JobOrigin,
}

/// Jobs waiting to be published, stored with the data that caused them.
///
/// Confirmations are written by the order transaction itself (the orders' `NewOrder` says
/// whether to write one), cancellations by the cancellation transaction; [`Outbox::enqueue`]
/// is for the rest.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Adds a job unless an equal job makes it redundant, and returns whether it was added:
    /// - a summary, unless one for that day is waiting or done (every scheduler replica
    ///   enqueues it);
    /// - a cache invalidation, unless one for that store is waiting to be *published*: that
    ///   one is published, so run, only later, and its bump covers the new order too (a job
    ///   already published may have bumped before the order committed, so it does not count);
    /// - a catalogue invalidation, unless one is waiting to be published (for the same reason);
    /// - an order's confirmation or cancellation, unless one for that order was ever written
    ///   (their transactions write them; one job per order and kind).
    async fn enqueue(&self, job: &Job) -> Result<bool>;

    /// Takes up to `limit` jobs to publish, oldest first, and marks them published now: jobs
    /// never published, then jobs that are neither completed nor dead and were published more
    /// than `republish_after` ago and before `queued_since` (when given: what the queue still
    /// holds was published since then, so older rows are not in it any more — the queue or a
    /// relay lost them). Concurrent relays never take the same rows.
    async fn claim_for_publishing(
        &self,
        limit: usize,
        republish_after: Duration,
        queued_since: Option<DateTime<Utc>>,
    ) -> Result<Vec<OutboxEntry>>;

    /// Undoes a claim whose publishing failed, so the next relay pass takes the rows again.
    async fn release(&self, ids: &[i64]) -> Result<()>;

    /// Records that a row's job is done.
    async fn mark_completed(&self, id: i64) -> Result<()>;

    /// Records that the jobs of all these rows are done, in one statement.
    async fn mark_all_completed(&self, ids: &[i64]) -> Result<()>;

    /// Records that a row's job was given up on, and why.
    async fn mark_dead(&self, id: i64, error: &str) -> Result<()>;
}

/// An outbox for embedders that run no worker: it keeps no job. With a cache that keeps
/// nothing (the cache module's `NoCache`, whose bumps never fail) nothing is ever handed to
/// it; a job that is (a bump failed on a real cache) is refused, and the write that handed it
/// over logs that no worker will apply it.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOutbox;

#[async_trait]
impl Outbox for NoOutbox {
    async fn enqueue(&self, _job: &Job) -> Result<bool> {
        Err(Error::Unavailable("this service runs no outbox".into()))
    }

    async fn claim_for_publishing(
        &self,
        _limit: usize,
        _republish_after: Duration,
        _queued_since: Option<DateTime<Utc>>,
    ) -> Result<Vec<OutboxEntry>> {
        Ok(Vec::new())
    }

    async fn release(&self, _ids: &[i64]) -> Result<()> {
        Ok(())
    }

    async fn mark_completed(&self, _id: i64) -> Result<()> {
        Ok(())
    }

    async fn mark_all_completed(&self, _ids: &[i64]) -> Result<()> {
        Ok(())
    }

    async fn mark_dead(&self, _id: i64, _error: &str) -> Result<()> {
        Ok(())
    }
}
