//! Running a batch of deliveries with a constant number of round trips: the batch's orders
//! loaded in one query, its confirmations recorded in one statement (or sent with bounded
//! concurrency), its outbox rows completed in one statement and its deliveries acknowledged
//! in one round trip. Cancellations, which are few, run the single-job path each (with the same
//! bounded concurrency). A job that fails is settled alone (retried or dead-lettered); the rest
//! of its batch is done.

use std::collections::{HashMap, HashSet};

use futures_util::stream::{self, StreamExt};

use super::model::{Delivery, RetryPolicy};
use super::ports::{JobQueue, Sent};
use super::usecases::{
    confirmation_of, log_sent, run_job_reporting, settle_failure, Email, JobContext, Processed,
};
use crate::orders::Order;
use crate::outbox::{Job, Outbox};
use crate::{Entity, Error, OrderId, Result};

/// What became of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Done: outbox rows completed, deliveries acknowledged.
    pub done: usize,
    /// Failed; delivered again after a backoff.
    pub retrying: usize,
    /// Failed for good; in the dead-letter list.
    pub dead: usize,
    /// Emails (confirmations, cancellations) found already sent (a job delivered twice; the
    /// exactly-once guard at work, and work wasted).
    pub repeats: usize,
}

/// Runs a batch of deliveries and settles each: the jobs done are completed in the outbox in
/// one statement, then acknowledged together; each failed one is retried or dead-lettered as
/// [`super::process_delivery`] does, alone.
///
/// An error here (the database or the queue failing while settling) leaves the deliveries not
/// yet settled unacknowledged: they are reclaimed and run again later, which is safe because
/// jobs are idempotent. Failures settled before the error stay settled.
pub async fn process_batch(
    deliveries: &[Delivery],
    queue: &dyn JobQueue,
    outbox: &dyn Outbox,
    ctx: &JobContext<'_>,
    policy: &RetryPolicy,
) -> Result<BatchOutcome> {
    let mut outcome = BatchOutcome::default();
    if deliveries.is_empty() {
        return Ok(outcome);
    }
    let results = run_batch(deliveries, ctx).await;
    let mut done = Vec::with_capacity(deliveries.len());
    let mut settle_error = None;
    for (delivery, result) in deliveries.iter().zip(results) {
        match result {
            Ok(sent) => {
                outcome.repeats += usize::from(sent == Some(Sent::Before));
                done.push(delivery.clone());
            }
            Err(failure) => match settle_failure(delivery, failure, queue, outbox, policy).await {
                Ok(Processed::Dead) => outcome.dead += 1,
                Ok(_) => outcome.retrying += 1,
                Err(error) => {
                    settle_error.get_or_insert(error);
                }
            },
        }
    }
    if !done.is_empty() {
        let ids: Vec<i64> = done.iter().map(|d| d.outbox_id).collect();
        outbox.mark_all_completed(&ids).await?;
        queue.ack_all(&done).await?;
        outcome.done = done.len();
    }
    tracing::debug!(
        done = outcome.done,
        retrying = outcome.retrying,
        dead = outcome.dead,
        repeats = outcome.repeats,
        "batch settled"
    );
    match settle_error {
        Some(error) => Err(error),
        None => Ok(outcome),
    }
}

/// Runs every job of the batch; one result per delivery, in order (`Some(sent)` for an email
/// that was to be sent).
async fn run_batch(deliveries: &[Delivery], ctx: &JobContext<'_>) -> Vec<Result<Option<Sent>>> {
    let mut results: Vec<Option<Result<Option<Sent>>>> = deliveries.iter().map(|_| None).collect();
    // The first delivery of each order's confirmation is batched, and the first of each order's
    // cancellation is sent alongside the other cancellations; the rest (a second delivery of the
    // same job in one batch, other jobs) run one by one afterwards, so a repeat finds its email
    // recorded rather than racing the first delivery to record it.
    let (mut confirming, mut cancelling) = (HashSet::new(), HashSet::new());
    let (mut confirmations, mut cancellations, mut others) = (Vec::new(), Vec::new(), Vec::new());
    for (i, delivery) in deliveries.iter().enumerate() {
        match delivery.job {
            Job::OrderConfirmation { order_id } if confirming.insert(order_id) => {
                confirmations.push((i, order_id));
            }
            Job::OrderCancellation { order_id } if cancelling.insert(order_id) => cancellations.push(i),
            _ => others.push(i),
        }
    }
    // Confirmations first: an order confirmed and cancelled within one batch is announced in
    // that order.
    if !confirmations.is_empty() {
        confirm_all(&confirmations, ctx, &mut results).await;
    }
    // Each cancellation loads its order and sends alone: they are rare (staff cancel an order
    // by hand), so batching their loads and records would save little for a second code path
    // to keep right. At most `concurrency` at once, so a slow mail server does not make them
    // wait in line.
    let sends: Vec<_> = cancellations
        .iter()
        .map(|&i| run_job_reporting(&deliveries[i].job, ctx))
        .collect();
    let sent: Vec<_> = stream::iter(sends)
        .buffered(ctx.concurrency.max(1))
        .collect()
        .await;
    for (i, result) in cancellations.into_iter().zip(sent) {
        results[i] = Some(result);
    }
    for i in others {
        results[i] = Some(run_job_reporting(&deliveries[i].job, ctx).await);
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::internal("a job of the batch was not run"))))
        .collect()
}

/// Loads the orders in one query and sends their confirmations in one call of the mailer.
async fn confirm_all(
    confirmations: &[(usize, OrderId)],
    ctx: &JobContext<'_>,
    results: &mut [Option<Result<Option<Sent>>>],
) {
    let ids: Vec<OrderId> = confirmations.iter().map(|&(_, id)| id).collect();
    let mut loaded = load_orders(&ids, ctx).await;
    let mut messages = Vec::with_capacity(confirmations.len());
    let mut sending = Vec::with_capacity(confirmations.len());
    for &(i, order_id) in confirmations {
        match loaded.remove(&order_id) {
            None => {
                results[i] = Some(Err(Error::NotFound {
                    entity: Entity::Order,
                    id: order_id.get(),
                }));
            }
            Some(Err(error)) => results[i] = Some(Err(error)),
            Some(Ok(order)) => match confirmation_of(&order, ctx.mail) {
                None => results[i] = Some(Ok(None)),
                Some(message) => {
                    messages.push((order_id, message));
                    sending.push(i);
                }
            },
        }
    }
    if messages.is_empty() {
        return;
    }
    let mut sent = ctx
        .mailer
        .send_order_confirmations(&messages, ctx.concurrency)
        .await
        .into_iter();
    for (i, (order_id, message)) in sending.into_iter().zip(&messages) {
        let result = sent
            .next()
            .unwrap_or_else(|| Err(Error::internal("the mailer answered fewer messages than sent")));
        if let Ok(sent) = result {
            log_sent(Email::Confirmation, *order_id, message, sent);
        }
        results[i] = Some(result.map(Some));
    }
}

/// The batch's orders by id (missing ones absent). When the batch query fails, each order is
/// loaded alone, so that one order that cannot be read fails its own job only.
async fn load_orders(ids: &[OrderId], ctx: &JobContext<'_>) -> HashMap<OrderId, Result<Order>> {
    match ctx.orders.get_orders(ids).await {
        Ok(orders) => orders.into_iter().map(|o| (o.id, Ok(o))).collect(),
        Err(error) => {
            tracing::warn!(%error, orders = ids.len(), "loading a batch of orders failed; loading them one by one");
            let mut loaded = HashMap::with_capacity(ids.len());
            for &id in ids {
                match ctx.orders.get_order(id).await {
                    Ok(Some(order)) => {
                        loaded.insert(id, Ok(order));
                    }
                    Ok(None) => {}
                    Err(error) => {
                        loaded.insert(id, Err(error));
                    }
                }
            }
            loaded
        }
    }
}
