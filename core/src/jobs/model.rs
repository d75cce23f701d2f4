//! A job as the queue delivers it, and the retry policy.

use std::time::Duration;

use crate::outbox::{Job, JobOrigin};

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
