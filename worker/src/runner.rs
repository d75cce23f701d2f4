//! The worker: relays the outbox to the queue, and runs jobs from the queue.

use std::sync::Arc;
use std::time::Duration;

use aforro_core::cache::Cache;
use aforro_core::jobs::{
    process_delivery, relay_outbox, JobContext, JobQueue, MailSettings, Mailer, Outbox, Processed,
    RetryPolicy, SummaryRepository,
};
use aforro_core::orders::OrderRepository;
use aforro_core::Result;
use tokio_util::sync::CancellationToken;

/// Outbox rows published per relay round trip.
const RELAY_BATCH: usize = 100;
/// How often an idle relay looks at the outbox.
const RELAY_INTERVAL: Duration = Duration::from_millis(200);
/// How long a receive waits for a job before the loop looks around again.
const RECEIVE_WAIT: Duration = Duration::from_millis(250);
/// How often abandoned jobs are looked for.
const RECLAIM_INTERVAL: Duration = Duration::from_secs(5);
/// Pause after an error (Redis or Postgres down) before trying again.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Everything a worker process needs.
#[derive(Clone)]
pub struct Worker {
    /// Outbox port.
    pub outbox: Arc<dyn Outbox>,
    /// Queue port.
    pub queue: Arc<dyn JobQueue>,
    /// Orders, to render confirmations.
    pub orders: Arc<dyn OrderRepository>,
    /// Mailer port.
    pub mailer: Arc<dyn Mailer>,
    /// Summaries port.
    pub summaries: Arc<dyn SummaryRepository>,
    /// The servers' response cache, for invalidations they could not apply.
    pub cache: Arc<dyn Cache>,
    /// Sender and recipient.
    pub mail: MailSettings,
    /// Low-stock threshold of summaries.
    pub low_stock_threshold: u32,
    /// Retries.
    pub policy: RetryPolicy,
    /// This process's consumer name in the group (unique per process).
    pub consumer: String,
    /// Jobs left unacknowledged this long by another consumer are taken over.
    pub claim_idle: Duration,
    /// Outbox rows published this long ago and not done are published again.
    pub republish_after: Duration,
}

impl Worker {
    /// A consumer name unique to this process.
    pub fn consumer_name() -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        format!("worker-{}-{nanos:x}", std::process::id())
    }

    fn ctx(&self) -> JobContext<'_> {
        JobContext {
            orders: self.orders.as_ref(),
            mailer: self.mailer.as_ref(),
            summaries: self.summaries.as_ref(),
            cache: self.cache.as_ref(),
            mail: &self.mail,
            low_stock_threshold: self.low_stock_threshold,
        }
    }

    /// Publishes everything waiting in the outbox; returns how many jobs.
    pub async fn relay_pass(&self) -> Result<usize> {
        let mut published = 0;
        loop {
            let n = relay_outbox(
                self.outbox.as_ref(),
                self.queue.as_ref(),
                RELAY_BATCH,
                self.republish_after,
            )
            .await?;
            published += n;
            if n < RELAY_BATCH {
                return Ok(published);
            }
        }
    }

    /// Moves due retries into the queue, then takes at most one job (waiting up to `wait`)
    /// and runs it; returns whether there was one.
    pub async fn work_pass(&self, wait: Duration) -> Result<bool> {
        self.queue.promote_due().await?;
        let deliveries = self.queue.receive(&self.consumer, 1, wait).await?;
        let found = !deliveries.is_empty();
        for delivery in deliveries {
            self.settle(&delivery).await?;
        }
        Ok(found)
    }

    /// Takes over and runs jobs other consumers abandoned; returns how many.
    pub async fn reclaim_pass(&self) -> Result<usize> {
        let deliveries = self.queue.reclaim(&self.consumer, self.claim_idle, 10).await?;
        for delivery in &deliveries {
            self.settle(delivery).await?;
        }
        Ok(deliveries.len())
    }

    async fn settle(&self, delivery: &aforro_core::jobs::Delivery) -> Result<()> {
        let outcome = process_delivery(
            delivery,
            self.queue.as_ref(),
            self.outbox.as_ref(),
            &self.ctx(),
            &self.policy,
        )
        .await?;
        if outcome == Processed::Done {
            tracing::info!(
                job = delivery.job.kind(),
                outbox_id = delivery.outbox_id,
                "job done"
            );
        }
        Ok(())
    }

    /// Runs the relay and the consumer until `shutdown` is cancelled. A job being run when the
    /// signal comes is finished first; nothing is taken after it.
    pub async fn run(&self, shutdown: CancellationToken) {
        tracing::info!(consumer = %self.consumer, "worker started");
        tokio::join!(self.relay_loop(shutdown.clone()), self.consume_loop(shutdown));
        tracing::info!(consumer = %self.consumer, "worker stopped");
    }

    async fn relay_loop(&self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let pause = match self.relay_pass().await {
                Ok(0) => RELAY_INTERVAL,
                Ok(n) => {
                    tracing::info!(jobs = n, "outbox relayed");
                    RELAY_INTERVAL
                }
                Err(error) => {
                    tracing::warn!(%error, "outbox relay failed; the rows stay in the outbox");
                    ERROR_PAUSE
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    async fn consume_loop(&self, shutdown: CancellationToken) {
        let mut last_reclaim = tokio::time::Instant::now();
        while !shutdown.is_cancelled() {
            if last_reclaim.elapsed() >= RECLAIM_INTERVAL {
                last_reclaim = tokio::time::Instant::now();
                if let Err(error) = self.reclaim_pass().await {
                    tracing::warn!(%error, "reclaiming abandoned jobs failed");
                }
            }
            if let Err(error) = self.work_pass(RECEIVE_WAIT).await {
                tracing::warn!(%error, "job loop failed; retrying shortly");
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    () = tokio::time::sleep(ERROR_PAUSE) => {}
                }
            }
        }
    }
}
