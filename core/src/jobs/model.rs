//! Jobs, their envelopes and the retry policy.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{OrderId, StoreId};

/// Work for a worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Send the confirmation of a confirmed order (once, whatever the deliveries).
    OrderConfirmation {
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
    /// there (see [`crate::cache::place_order_invalidating`] and
    /// [`crate::cache::adjust_stock_invalidating`]). Bumping twice is harmless.
    CacheInvalidation {
        /// The store.
        store_id: StoreId,
    },
    /// Invalidate every cached read of the catalogue (search, suggest, inventory pages), on
    /// behalf of a server that could not reach the cache after a category or product write
    /// (see [`crate::catalogue::create_product`]). Bumping twice is harmless.
    CatalogueInvalidation,
}

impl Job {
    /// A short name for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::OrderConfirmation { .. } => "order_confirmation",
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

/// A job handed to a worker by the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The queue's id of this message (opaque).
    pub id: String,
    /// The outbox row it came from.
    pub outbox_id: i64,
    /// The job.
    pub job: Job,
    /// Failed attempts before this one (0 on the first).
    pub attempt: u32,
    /// Where it came from (the outbox row's trace id and time).
    pub origin: JobOrigin,
}

/// How failed jobs are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all before a job is dead-lettered.
    pub max_attempts: u32,
    /// Delay before the first retry; doubled for each later one.
    pub base_delay: Duration,
    /// Longest delay between attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The delay before retrying after failed attempt number `attempt` (0-based):
    /// `base × 2^attempt`, capped at `max_delay`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(31));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}
