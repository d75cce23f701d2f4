//! Job use-cases: relaying the outbox, running a job, and what to do when it fails.

use std::time::Duration;

use super::email::{render_order_cancellation, render_order_confirmation, EmailMessage, MailSettings};
use super::model::{Delivery, RetryPolicy};
use super::ports::{JobQueue, Mailer, Sent};
use super::summary::SummaryRepository;
use crate::cache::{bump_deferred, Cache, Stale};
use crate::orders::{Order, OrderRepository};
use crate::outbox::{Job, Outbox};
use crate::{Entity, Error, OrderId, Result};

/// How much older than the queue's oldest message a publication must be before the relay
/// takes it for lost: covers the moment between claiming a row and adding its message, and
/// a clock of the database ahead of the queue's.
pub const QUEUE_CLOCK_MARGIN: Duration = Duration::from_secs(60);

/// Publishes up to `batch` outbox jobs to the queue, in one claim and one round trip to the
/// queue; returns how many. When the queue refuses them, the claim is undone and the error
/// returned: the rows stay in the outbox for the next pass (nothing is lost while the broker
/// is down).
///
/// Only rows whose message has left the queue are published again: a row published more than
/// `republish_after` ago whose message still waits in the queue (a backlog) or is held by a
/// consumer (taken over by [`JobQueue::reclaim`] if that consumer died) is merely queued, and
/// publishing it again would only make the backlog longer.
pub async fn relay_outbox(
    outbox: &dyn Outbox,
    queue: &dyn JobQueue,
    batch: usize,
    republish_after: Duration,
) -> Result<usize> {
    let queued_since = queue
        .oldest_queued()
        .await?
        .map(|oldest| oldest - chrono::Duration::from_std(QUEUE_CLOCK_MARGIN).unwrap_or_default());
    let entries = outbox
        .claim_for_publishing(batch, republish_after, queued_since)
        .await?;
    if entries.is_empty() {
        return Ok(0);
    }
    if let Err(error) = queue.publish(&entries).await {
        let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
        // If even this fails, the rows count as published and come back after
        // `republish_after`: later, but not lost.
        if let Err(release_error) = outbox.release(&ids).await {
            tracing::warn!(%release_error, rows = ids.len(), "could not release outbox rows");
        }
        return Err(error);
    }
    Ok(entries.len())
}

/// What a job needs.
pub struct JobContext<'a> {
    /// To read the order to confirm or whose cancellation to announce.
    pub orders: &'a dyn OrderRepository,
    /// To send confirmations and cancellations.
    pub mailer: &'a dyn Mailer,
    /// To compute summaries.
    pub summaries: &'a dyn SummaryRepository,
    /// To invalidate for servers that could not reach the cache after an order or a
    /// catalogue write.
    pub cache: &'a dyn Cache,
    /// Sender and recipient of order emails.
    pub mail: &'a MailSettings,
    /// Low-stock threshold of the summaries.
    pub low_stock_threshold: u32,
    /// Most emails of a batch sent at once: confirmations by a mailer that sends them one by
    /// one (SMTP), and cancellations whatever the mailer; at least 1.
    pub concurrency: usize,
}

/// Runs one job. Idempotent: running it twice has the effect of running it once (one
/// confirmation and one cancellation per order; a summary day is replaced, not added; a second
/// version bump only orphans entries stored since the first, a cold read for the next client,
/// never a stale one).
pub async fn run_job(job: &Job, ctx: &JobContext<'_>) -> Result<()> {
    run_job_reporting(job, ctx).await.map(|_| ())
}

/// [`run_job`], saying whether an email was sent now or had been sent before.
pub(super) async fn run_job_reporting(job: &Job, ctx: &JobContext<'_>) -> Result<Option<Sent>> {
    match job {
        Job::OrderConfirmation { order_id } => {
            let order = load_order(*order_id, ctx).await?;
            let Some(message) = confirmation_of(&order, ctx.mail) else {
                return Ok(None);
            };
            let sent = ctx.mailer.send_order_confirmation(order.id, &message).await?;
            log_sent(Email::Confirmation, order.id, &message, sent);
            Ok(Some(sent))
        }
        Job::OrderCancellation { order_id } => {
            let order = load_order(*order_id, ctx).await?;
            let Some(message) = cancellation_of(&order, ctx.mail) else {
                return Ok(None);
            };
            let sent = ctx.mailer.send_order_cancellation(order.id, &message).await?;
            log_sent(Email::Cancellation, order.id, &message, sent);
            Ok(Some(sent))
        }
        Job::InventorySummary { day } => {
            let summaries = ctx.summaries.summarize_day(*day, ctx.low_stock_threshold).await?;
            tracing::info!(%day, stores = summaries.len(), "inventory summaries stored");
            Ok(None)
        }
        Job::CacheInvalidation { store_id } => bump_deferred(ctx.cache, Stale::Stock(*store_id))
            .await
            .map(|()| None),
        Job::CatalogueInvalidation => bump_deferred(ctx.cache, Stale::Catalogue).await.map(|()| None),
    }
}

/// The order a job is about; an order that does not exist fails the job for good.
async fn load_order(order_id: OrderId, ctx: &JobContext<'_>) -> Result<Order> {
    ctx.orders.get_order(order_id).await?.ok_or(Error::NotFound {
        entity: Entity::Order,
        id: order_id.get(),
    })
}

/// The confirmation of `order`, or `None` (logged) when it was never confirmed.
pub(super) fn confirmation_of(order: &Order, mail: &MailSettings) -> Option<EmailMessage> {
    let message = render_order_confirmation(order, mail);
    if message.is_none() {
        tracing::warn!(
            order_id = order.id.get(),
            status = order.status.as_str(),
            "order is not confirmed; nothing to send"
        );
    }
    message
}

/// The cancellation of `order`, or `None` (logged) when it is not cancelled: the
/// cancellation's own transaction writes the job and nothing un-cancels an order, so only a job
/// written by hand gets here.
fn cancellation_of(order: &Order, mail: &MailSettings) -> Option<EmailMessage> {
    let message = render_order_cancellation(order, mail);
    if message.is_none() {
        tracing::warn!(
            order_id = order.id.get(),
            status = order.status.as_str(),
            "order is not cancelled; nothing to send"
        );
    }
    message
}

/// Which order email, for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Email {
    Confirmation,
    Cancellation,
}

impl Email {
    fn name(self) -> &'static str {
        match self {
            Email::Confirmation => "confirmation",
            Email::Cancellation => "cancellation",
        }
    }
}

/// One DEBUG line per email.
pub(super) fn log_sent(email: Email, order_id: OrderId, message: &EmailMessage, sent: Sent) {
    match sent {
        Sent::Now => tracing::debug!(order_id = order_id.get(), to = %message.to, "{} sent", email.name()),
        Sent::Before => tracing::debug!(
            order_id = order_id.get(),
            "{} was sent before; not sent again",
            email.name()
        ),
    }
}

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processed {
    /// Done and acknowledged.
    Done,
    /// Failed; delivered again after this delay.
    Retrying(Duration),
    /// Failed for good; in the dead-letter list.
    Dead,
}

/// Runs a delivery's job and settles it: done → outbox row completed, then acknowledged;
/// failed → retried after a backoff, or dead-lettered once `policy.max_attempts` is reached
/// or at once when retrying cannot help (the order does not exist).
///
/// An error here (the database or the queue failing while settling) leaves the delivery
/// unacknowledged: it is reclaimed and run again later, which is safe because jobs are
/// idempotent.
pub async fn process_delivery(
    delivery: &Delivery,
    queue: &dyn JobQueue,
    outbox: &dyn Outbox,
    ctx: &JobContext<'_>,
    policy: &RetryPolicy,
) -> Result<Processed> {
    match run_job(&delivery.job, ctx).await {
        Ok(()) => {
            outbox.mark_completed(delivery.outbox_id).await?;
            queue.ack(delivery).await?;
            Ok(Processed::Done)
        }
        Err(failure) => settle_failure(delivery, failure, queue, outbox, policy).await,
    }
}

/// Settles a delivery whose job failed: retried after a backoff, or dead-lettered once
/// `policy.max_attempts` is reached or at once when retrying cannot help (the order does not
/// exist). Never [`Processed::Done`].
pub(super) async fn settle_failure(
    delivery: &Delivery,
    failure: Error,
    queue: &dyn JobQueue,
    outbox: &dyn Outbox,
    policy: &RetryPolicy,
) -> Result<Processed> {
    let permanent = matches!(failure, Error::Invalid(_) | Error::NotFound { .. });
    let attempts = delivery.attempt + 1;
    if permanent || attempts >= policy.max_attempts {
        let reason = failure.to_string();
        tracing::error!(job = delivery.job.kind(), outbox_id = delivery.outbox_id, trace_id = delivery.origin.trace_id.as_deref(), attempts, error = %reason, "job dead-lettered");
        queue.dead_letter(delivery, &reason).await?;
        outbox.mark_dead(delivery.outbox_id, &reason).await?;
        return Ok(Processed::Dead);
    }
    let delay = policy.backoff(delivery.attempt);
    tracing::warn!(job = delivery.job.kind(), outbox_id = delivery.outbox_id, trace_id = delivery.origin.trace_id.as_deref(), attempts, retry_in_ms = delay.as_millis() as u64, error = %failure, "job failed; will retry");
    queue.retry_later(delivery, delay).await?;
    Ok(Processed::Retrying(delay))
}
