//! The scheduler (the role of Celery beat): enqueues the daily inventory summary, and deletes
//! completed jobs and expired idempotency keys.

use std::sync::Arc;
use std::time::Duration;

use aforro_core::jobs::{prune_once, Job, Outbox, Pruned, Retention, RetentionPolicy};
use aforro_core::Result;
use chrono::{DateTime, Days, NaiveDate, Utc};
use croner::Cron;
use tokio_util::sync::CancellationToken;

use crate::metrics::WorkerMetrics;

/// How often the scheduler looks for what retention deletes.
const RETENTION_INTERVAL: Duration = Duration::from_secs(60);
/// Pause between two batches of deletes, so that the deletes never hold the table for long.
const RETENTION_PAUSE: Duration = Duration::from_millis(100);

/// Default: five past midnight UTC, every day.
pub const DEFAULT_SUMMARY_SCHEDULE: &str = "5 0 * * *";

/// When to enqueue the summary: a cron expression in UTC (`minute hour day month weekday`).
#[derive(Debug, Clone)]
pub struct SummarySchedule {
    cron: Cron,
}

impl SummarySchedule {
    /// Parses a five-field cron expression.
    pub fn parse(expression: &str) -> std::result::Result<Self, String> {
        Cron::new(expression)
            .parse()
            .map(|cron| Self { cron })
            .map_err(|e| format!("invalid cron expression {expression:?}: {e}"))
    }

    /// The first firing strictly after `now`.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&now, false).ok()
    }
}

/// The day a run at `fired_at` summarises: the UTC day before (at 00:05, the day that just ended).
pub fn day_summarised(fired_at: DateTime<Utc>) -> NaiveDate {
    let today = fired_at.date_naive();
    today.checked_sub_days(Days::new(1)).unwrap_or(today)
}

/// Enqueues summaries on a schedule and applies retention. Several schedulers may run: the
/// outbox keeps one job per day, and deletes skip the rows another is deleting.
pub struct Scheduler {
    /// Where jobs are written.
    pub outbox: Arc<dyn Outbox>,
    /// When.
    pub schedule: SummarySchedule,
    /// Where completed jobs and expired keys are deleted.
    pub retention: Arc<dyn Retention>,
    /// How long they are kept.
    pub retention_policy: RetentionPolicy,
    /// Where successful runs are recorded (`aforro_scheduler_last_success_timestamp_seconds`).
    pub metrics: Option<WorkerMetrics>,
}

impl Scheduler {
    /// Enqueues the summary of `day`; false when it was already enqueued.
    pub async fn enqueue_summary(&self, day: NaiveDate) -> Result<bool> {
        self.outbox.enqueue(&Job::InventorySummary { day }).await
    }

    /// Deletes what retention allows, a batch at a time with a pause between batches, until
    /// less than a batch is left (or `shutdown`); returns the totals.
    pub async fn prune(&self, shutdown: &CancellationToken) -> aforro_core::Result<Pruned> {
        let mut total = Pruned::default();
        while !shutdown.is_cancelled() {
            let round = prune_once(self.retention.as_ref(), &self.retention_policy).await?;
            total.completed_jobs += round.completed_jobs;
            total.idempotency_keys += round.idempotency_keys;
            total.stock_level_changes += round.stock_level_changes;
            if !round.more_may_wait(&self.retention_policy) {
                break;
            }
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(RETENTION_PAUSE) => {}
            }
        }
        Ok(total)
    }

    fn succeeded(&self, task: &str) {
        if let Some(metrics) = &self.metrics {
            metrics.scheduler_succeeded(task);
        }
    }

    /// Enqueues the summary on its schedule and applies retention every minute, until
    /// `shutdown`.
    pub async fn run(&self, shutdown: CancellationToken) {
        tracing::info!("scheduler started");
        tokio::join!(self.summaries(&shutdown), self.retention_loop(&shutdown));
        tracing::info!("scheduler stopped");
    }

    async fn retention_loop(&self, shutdown: &CancellationToken) {
        while !shutdown.is_cancelled() {
            let pruned = self.prune(shutdown).await;
            if pruned.is_ok() {
                self.succeeded("retention");
            }
            match pruned {
                Ok(Pruned {
                    completed_jobs: 0,
                    idempotency_keys: 0,
                    stock_level_changes: 0,
                }) => {}
                Ok(pruned) => tracing::info!(
                    completed_jobs = pruned.completed_jobs,
                    idempotency_keys = pruned.idempotency_keys,
                    stock_level_changes = pruned.stock_level_changes,
                    "retention: deleted completed jobs and expired idempotency keys, folded stock level changes"
                ),
                Err(error) => tracing::warn!(%error, "retention failed; trying again later"),
            }
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(RETENTION_INTERVAL) => {}
            }
        }
    }

    /// Sleeps until each firing and enqueues its day, until `shutdown`.
    async fn summaries(&self, shutdown: &CancellationToken) {
        while !shutdown.is_cancelled() {
            let Some(next) = self.schedule.next_after(Utc::now()) else {
                tracing::error!("the summary schedule never fires again; no more summaries");
                return;
            };
            let wait = (next - Utc::now()).to_std().unwrap_or_default();
            tracing::info!(next = %next, "next inventory summary");
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
            }
            let day = day_summarised(next);
            // Retried until it lands: a database outage at 00:05 must not skip the day.
            loop {
                match self.enqueue_summary(day).await {
                    Ok(added) => {
                        self.succeeded("summary");
                        tracing::info!(%day, added, "inventory summary enqueued");
                        break;
                    }
                    Err(error) => tracing::warn!(%day, %error, "could not enqueue the summary; retrying"),
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_default_fires_at_five_past_midnight_and_summarises_the_day_before() {
        let schedule = SummarySchedule::parse(DEFAULT_SUMMARY_SCHEDULE).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 16, 20, 0).unwrap();
        let next = schedule.next_after(now).unwrap();
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 11, 25, 0, 5, 0).unwrap());
        assert_eq!(
            day_summarised(next),
            NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
        );
        assert!(SummarySchedule::parse("61 * * * *").is_err());
        assert!(SummarySchedule::parse("not cron").is_err());
    }
}
