//! The scheduler (the role of Celery beat): enqueues the daily inventory summary.

use std::sync::Arc;

use aforro_core::jobs::{Job, Outbox};
use aforro_core::Result;
use chrono::{DateTime, Days, NaiveDate, Utc};
use croner::Cron;
use tokio_util::sync::CancellationToken;

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

/// Enqueues summaries on a schedule. Several schedulers may run: the outbox keeps one job per day.
pub struct Scheduler {
    /// Where jobs are written.
    pub outbox: Arc<dyn Outbox>,
    /// When.
    pub schedule: SummarySchedule,
}

impl Scheduler {
    /// Enqueues the summary of `day`; false when it was already enqueued.
    pub async fn enqueue_summary(&self, day: NaiveDate) -> Result<bool> {
        self.outbox.enqueue(&Job::InventorySummary { day }).await
    }

    /// Sleeps until each firing and enqueues its day, until `shutdown`.
    pub async fn run(&self, shutdown: CancellationToken) {
        tracing::info!("scheduler started");
        while !shutdown.is_cancelled() {
            let Some(next) = self.schedule.next_after(Utc::now()) else {
                tracing::error!("the schedule never fires again; scheduler stops");
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
                        tracing::info!(%day, added, "inventory summary enqueued");
                        break;
                    }
                    Err(error) => tracing::warn!(%day, %error, "could not enqueue the summary; retrying"),
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                }
            }
        }
        tracing::info!("scheduler stopped");
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
