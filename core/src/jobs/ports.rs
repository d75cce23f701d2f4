//! Ports of the job pipeline.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::email::EmailMessage;
use super::model::Delivery;
use crate::outbox::OutboxEntry;
use crate::{OrderId, Result};

/// The broker: at-least-once delivery to a group of workers.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Publishes jobs (in order).
    async fn publish(&self, entries: &[OutboxEntry]) -> Result<()>;

    /// Up to `max` new deliveries for `consumer`, waiting up to `wait` for the first.
    async fn receive(&self, consumer: &str, max: usize, wait: Duration) -> Result<Vec<Delivery>>;

    /// Takes over up to `max` deliveries that another consumer received more than `min_idle`
    /// ago and never acknowledged (it died or hangs).
    async fn reclaim(&self, consumer: &str, min_idle: Duration, max: usize) -> Result<Vec<Delivery>>;

    /// Done with a delivery: it will not be delivered again.
    async fn ack(&self, delivery: &Delivery) -> Result<()>;

    /// Done with all these deliveries, in one round trip.
    async fn ack_all(&self, deliveries: &[Delivery]) -> Result<()>;

    /// Acknowledges a failed delivery and delivers the job again after `delay`, counting one
    /// more failed attempt.
    async fn retry_later(&self, delivery: &Delivery, delay: Duration) -> Result<()>;

    /// Acknowledges a delivery and files it in the dead-letter list with `error`.
    async fn dead_letter(&self, delivery: &Delivery, error: &str) -> Result<()>;

    /// Moves retries whose delay has passed back into the queue; returns how many.
    async fn promote_due(&self) -> Result<usize>;

    /// When the oldest message the queue still holds (waiting, or received and not yet
    /// acknowledged) was published, by the queue's clock; `None` when it holds none. Every
    /// job published before then has left the queue: done, waiting for a retry, dead, or lost.
    async fn oldest_queued(&self) -> Result<Option<DateTime<Utc>>>;

    /// Jobs in the queue not yet acknowledged: waiting, or received and being run (retries
    /// waiting for their delay are not counted). For progress reports.
    async fn backlog(&self) -> Result<u64>;
}

/// Whether a message went out now or had been sent before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Sent by this call.
    Now,
    /// A message for this order had already been sent: nothing was sent again.
    Before,
}

/// Sends order emails, at most one confirmation and one cancellation per order: each kind has
/// its own record of what was sent, so an order's cancellation is not taken for its confirmation.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends `message` for `order_id` unless one was sent for that order already.
    async fn send_order_confirmation(&self, order_id: OrderId, message: &EmailMessage) -> Result<Sent>;

    /// Sends the cancellation `message` for `order_id` unless a cancellation was sent for that
    /// order already.
    async fn send_order_cancellation(&self, order_id: OrderId, message: &EmailMessage) -> Result<Sent>;

    /// Sends each message of `messages` (distinct orders) unless one was sent for its order
    /// already; one result per message, in order, so that one failure fails its job alone.
    /// This default sends them with [`Mailer::send_order_confirmation`], at most
    /// `concurrency` at once (a slow mail server does not make them wait in line); a mailer
    /// that can record a batch in one statement does so instead.
    async fn send_order_confirmations(
        &self,
        messages: &[(OrderId, EmailMessage)],
        concurrency: usize,
    ) -> Vec<Result<Sent>> {
        use futures_util::stream::{self, StreamExt};
        // The sends are made (not started) first: a closure inside the stream would not be
        // `Send` for every lifetime, as `async_trait` requires.
        let sends: Vec<_> = messages
            .iter()
            .map(|(order_id, message)| self.send_order_confirmation(*order_id, message))
            .collect();
        stream::iter(sends).buffered(concurrency.max(1)).collect().await
    }
}

/// What is deleted or compacted once it is no longer needed. Sent emails and inventory
/// summaries are records and are kept.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Retention: Send + Sync {
    /// Deletes up to `limit` outbox rows completed more than `older_than` ago, in one short
    /// statement (never a row waiting, published and not done, or dead); returns how many.
    async fn delete_completed_jobs(&self, older_than: Duration, limit: usize) -> Result<usize>;

    /// Deletes idempotency keys recorded more than `older_than` ago, up to `limit` of orders'
    /// and up to `limit` of stock adjustments', one short statement each; returns how many. A request repeating
    /// an expired key is a new request.
    async fn expire_idempotency_keys(&self, older_than: Duration, limit: usize) -> Result<usize>;

    /// Folds up to `limit` of the oldest stock level changes (appended by every stock write)
    /// into the per-store counts the overview reads, in one short statement; returns how many.
    /// Readers add the unfolded changes themselves: folding keeps them few, it never changes
    /// a count.
    async fn fold_stock_level_changes(&self, limit: usize) -> Result<usize>;
}
