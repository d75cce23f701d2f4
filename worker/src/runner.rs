//! The worker: relays the outbox to the queue, and runs jobs from the queue.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aforro_core::cache::Cache;
use aforro_core::jobs::{
    process_batch, relay_outbox, BatchOutcome, JobContext, JobQueue, MailSettings, Mailer, Outbox,
    RetryPolicy, SummaryRepository,
};
use aforro_core::orders::OrderRepository;
use aforro_core::Result;
use tokio_util::sync::CancellationToken;

/// Outbox rows claimed in one statement and published in one pipeline.
const RELAY_BATCH: usize = 500;
/// How often an idle relay looks at the outbox.
const RELAY_INTERVAL: Duration = Duration::from_millis(200);
/// How soon a relay that just published looks again: under load a job waits for the relay
/// about half of this, not half of [`RELAY_INTERVAL`].
const BUSY_RELAY_INTERVAL: Duration = Duration::from_millis(20);
/// How long a receive waits for a job before the loop looks around again.
const RECEIVE_WAIT: Duration = Duration::from_millis(250);
/// How often abandoned jobs are looked for.
const RECLAIM_INTERVAL: Duration = Duration::from_secs(5);
/// Pause after an error (Redis or Postgres down) before trying again.
const ERROR_PAUSE: Duration = Duration::from_secs(1);
/// How often a worker that is behind says so at INFO (backlog and rate).
const PROGRESS_INTERVAL: Duration = Duration::from_secs(5);

/// Everything a worker process needs.
#[derive(Clone)]
pub struct Worker {
    /// Outbox port.
    pub outbox: Arc<dyn Outbox>,
    /// Queue port.
    pub queue: Arc<dyn JobQueue>,
    /// Orders, to render their emails.
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
    /// Most jobs taken from the queue and run together (at least 1).
    pub batch: usize,
    /// Most emails of a batch sent at once: confirmations by a mailer that sends them one by
    /// one (SMTP; the default mailer records a batch's in one statement), and cancellations,
    /// which are sent one by one whatever the mailer.
    pub concurrency: usize,
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
            concurrency: self.concurrency.max(1),
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
        Ok(self.work_batch(wait).await? > 0)
    }

    /// Moves due retries into the queue, then takes up to [`Worker::batch`] jobs (waiting up
    /// to `wait` for the first) and runs them together; returns how many it took.
    pub async fn work_batch(&self, wait: Duration) -> Result<usize> {
        Ok(self.work(wait).await?.0)
    }

    /// [`Worker::work_batch`], also saying what became of the jobs taken.
    pub async fn work(&self, wait: Duration) -> Result<(usize, BatchOutcome)> {
        self.queue.promote_due().await?;
        let deliveries = self
            .queue
            .receive(&self.consumer, self.batch.max(1), wait)
            .await?;
        let outcome = self.run_batch(&deliveries).await?;
        Ok((deliveries.len(), outcome))
    }

    /// Takes over and runs jobs other consumers abandoned; returns how many.
    pub async fn reclaim_pass(&self) -> Result<usize> {
        let deliveries = self
            .queue
            .reclaim(&self.consumer, self.claim_idle, self.batch.max(1))
            .await?;
        self.run_batch(&deliveries).await?;
        Ok(deliveries.len())
    }

    async fn run_batch(&self, deliveries: &[aforro_core::jobs::Delivery]) -> Result<BatchOutcome> {
        process_batch(
            deliveries,
            self.queue.as_ref(),
            self.outbox.as_ref(),
            &self.ctx(),
            &self.policy,
        )
        .await
    }

    /// Runs the relay and the consumer until `shutdown` is cancelled. A job being run when the
    /// signal comes is finished first; nothing is taken after it.
    pub async fn run(&self, shutdown: CancellationToken) {
        tracing::info!(consumer = %self.consumer, "worker started");
        let taken = AtomicU64::new(0);
        tokio::join!(
            self.relay_loop(shutdown.clone()),
            self.consume_loop(shutdown.clone(), &taken),
            self.progress_loop(shutdown, &taken),
        );
        tracing::info!(consumer = %self.consumer, "worker stopped");
    }

    async fn relay_loop(&self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let pause = match self.relay_pass().await {
                Ok(0) => RELAY_INTERVAL,
                Ok(n) => {
                    tracing::debug!(jobs = n, "outbox relayed");
                    BUSY_RELAY_INTERVAL
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

    /// Every [`PROGRESS_INTERVAL`] while jobs wait in the queue: one INFO line with the
    /// backlog and this worker's rate; one more when it has caught up. Silent when idle.
    async fn progress_loop(&self, shutdown: CancellationToken, taken: &AtomicU64) {
        let mut behind = false;
        let mut last = tokio::time::Instant::now();
        let mut last_taken = 0;
        while !shutdown.is_cancelled() {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(PROGRESS_INTERVAL) => {}
            }
            let now_taken = taken.load(Ordering::Relaxed);
            let rate = (now_taken - last_taken) as f64 / last.elapsed().as_secs_f64();
            (last, last_taken) = (tokio::time::Instant::now(), now_taken);
            match self.queue.backlog().await {
                Ok(0) if behind => {
                    behind = false;
                    tracing::info!(jobs_per_s = rate.round(), "caught up: the queue is empty");
                }
                Ok(0) => {}
                Ok(backlog) => {
                    behind = true;
                    tracing::info!(
                        backlog,
                        jobs_per_s = rate.round(),
                        "behind: jobs waiting in the queue"
                    );
                }
                Err(error) => tracing::debug!(%error, "could not read the backlog"),
            }
        }
    }

    async fn consume_loop(&self, shutdown: CancellationToken, taken: &AtomicU64) {
        let mut last_reclaim = tokio::time::Instant::now();
        while !shutdown.is_cancelled() {
            if last_reclaim.elapsed() >= RECLAIM_INTERVAL {
                last_reclaim = tokio::time::Instant::now();
                if let Err(error) = self.reclaim_pass().await {
                    tracing::warn!(%error, "reclaiming abandoned jobs failed");
                }
            }
            match self.work_batch(RECEIVE_WAIT).await {
                Ok(n) => {
                    taken.fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(error) => {
                    tracing::warn!(%error, "job loop failed; retrying shortly");
                    tokio::select! {
                        () = shutdown.cancelled() => {}
                        () = tokio::time::sleep(ERROR_PAUSE) => {}
                    }
                }
            }
        }
    }
}
