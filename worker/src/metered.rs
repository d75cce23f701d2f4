//! [`MeteredQueue`]: the job queue, counting and logging each job as it is settled.
//!
//! A decorator of the `JobQueue` port rather than code in `core`'s batch loop: settling a
//! delivery (ack, retry, dead-letter) is exactly where a job's outcome becomes final, every
//! path of the use-cases goes through it, and `core` stays free of metrics.

use std::time::Duration;

use aforro_core::jobs::{Delivery, JobQueue, OutboxEntry};
use aforro_core::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::metrics::WorkerMetrics;

/// `inner`, recording every settled delivery in `metrics`.
pub struct MeteredQueue<Q> {
    /// The queue.
    pub inner: Q,
    /// Where outcomes are counted.
    pub metrics: WorkerMetrics,
}

impl<Q> MeteredQueue<Q> {
    fn done(&self, delivery: &Delivery) {
        self.metrics.job_done(delivery);
        // One line per job only at DEBUG (a busy worker settles thousands a second); the
        // trace id ties it to the request that caused it.
        tracing::debug!(
            job = delivery.job.kind(),
            outbox_id = delivery.outbox_id,
            trace_id = delivery.origin.trace_id.as_deref(),
            waited_ms = delivery
                .origin
                .enqueued_at
                .map(|at| (Utc::now() - at).num_milliseconds()),
            "job done"
        );
    }
}

#[async_trait]
impl<Q: JobQueue> JobQueue for MeteredQueue<Q> {
    async fn publish(&self, entries: &[OutboxEntry]) -> Result<()> {
        self.inner.publish(entries).await
    }

    async fn receive(&self, consumer: &str, max: usize, wait: Duration) -> Result<Vec<Delivery>> {
        self.inner.receive(consumer, max, wait).await
    }

    async fn reclaim(&self, consumer: &str, min_idle: Duration, max: usize) -> Result<Vec<Delivery>> {
        self.inner.reclaim(consumer, min_idle, max).await
    }

    async fn ack(&self, delivery: &Delivery) -> Result<()> {
        self.inner.ack(delivery).await?;
        self.done(delivery);
        Ok(())
    }

    async fn ack_all(&self, deliveries: &[Delivery]) -> Result<()> {
        self.inner.ack_all(deliveries).await?;
        for delivery in deliveries {
            self.done(delivery);
        }
        Ok(())
    }

    async fn retry_later(&self, delivery: &Delivery, delay: Duration) -> Result<()> {
        self.inner.retry_later(delivery, delay).await?;
        self.metrics.job_retried(delivery);
        Ok(())
    }

    async fn dead_letter(&self, delivery: &Delivery, error: &str) -> Result<()> {
        self.inner.dead_letter(delivery, error).await?;
        self.metrics.job_failed(delivery);
        Ok(())
    }

    async fn promote_due(&self) -> Result<usize> {
        self.inner.promote_due().await
    }

    async fn oldest_queued(&self) -> Result<Option<DateTime<Utc>>> {
        self.inner.oldest_queued().await
    }

    async fn backlog(&self) -> Result<u64> {
        self.inner.backlog().await
    }
}
