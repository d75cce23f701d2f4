//! Settings from flags or environment variables, with defaults matching `scripts/services`.

use std::time::Duration;

use aforro_core::jobs::{MailSettings, RetentionPolicy, RetryPolicy, DEFAULT_LOW_STOCK_THRESHOLD};
use clap::Args;

/// Where the data and the broker live.
#[derive(Debug, Clone, Args)]
pub struct Connections {
    /// PostgreSQL connection URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://aforro:aforro@127.0.0.1:55432/aforro",
        hide_env_values = true
    )]
    pub database_url: String,
    /// Most Postgres connections this process opens.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 4)]
    pub database_pool_size: usize,
    /// Redis, the broker (a single node or a cluster; the same as the server's).
    #[command(flatten)]
    pub redis: aforro_adapters::redis::RedisSettings,
}

/// How jobs are run.
#[derive(Debug, Clone, Args)]
pub struct JobSettings {
    /// SMTP server for order emails: `smtp://host:port` (plain),
    /// `smtp://user:password@host?tls=required` (STARTTLS) or `smtps://user:password@host`
    /// (TLS); unset: record them (`sent_emails`, `sent_cancellation_emails`) and log them
    /// instead.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of order emails (confirmations and cancellations).
    #[arg(long, env = "MAIL_FROM", default_value = "aforro <orders@aforro.test>")]
    pub mail_from: String,
    /// Recipient of order emails (the API has no customer address yet).
    #[arg(long, env = "MAIL_TO", default_value = "customer@aforro.test")]
    pub mail_to: String,
    /// Items with fewer units than this (and at least one) count as low on stock.
    #[arg(long, env = "LOW_STOCK_THRESHOLD", default_value_t = DEFAULT_LOW_STOCK_THRESHOLD)]
    pub low_stock_threshold: u32,
    /// Attempts before a failing job is dead-lettered.
    #[arg(long, env = "JOB_MAX_ATTEMPTS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub job_max_attempts: u32,
    /// First retry delay in milliseconds (doubled for each later attempt, at most 5 minutes).
    #[arg(long, env = "JOB_RETRY_BASE_MS", default_value_t = 2000)]
    pub job_retry_base_ms: u64,
    /// A job another worker received this many seconds ago without finishing is taken over.
    #[arg(long, env = "JOB_CLAIM_IDLE_SECONDS", default_value_t = 60)]
    pub job_claim_idle_seconds: u64,
    /// Outbox rows published this long ago and still not done are published again.
    #[arg(long, env = "OUTBOX_REPUBLISH_SECONDS", default_value_t = 600)]
    pub outbox_republish_seconds: u64,
    /// Most jobs a worker takes from the queue at once and runs together (their orders loaded
    /// in one query, their emails recorded in one statement, acknowledged together).
    #[arg(long, env = "JOB_BATCH", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub job_batch: u32,
    /// Most emails of a batch one worker sends at once: confirmations over SMTP (otherwise a
    /// batch's are recorded in one statement) and cancellations, each sent alone, whatever the
    /// mailer (a slow mail server does not make a batch wait in line). The database pool is
    /// widened to this plus 2 if smaller.
    #[arg(long, env = "JOB_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
}

impl JobSettings {
    /// Sender and recipient.
    pub fn mail(&self) -> MailSettings {
        MailSettings {
            from: self.mail_from.clone(),
            to: self.mail_to.clone(),
        }
    }

    /// Connections the database pool needs: `requested`, or more to serve `--concurrency`
    /// sends and the relay at once.
    pub fn pool_size(&self, requested: usize) -> usize {
        requested.max(self.concurrency as usize + 2)
    }

    /// Retries.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.job_max_attempts,
            base_delay: Duration::from_millis(self.job_retry_base_ms),
            max_delay: Duration::from_secs(300),
        }
    }
}

/// What the scheduler deletes, and when.
#[derive(Debug, Clone, Args)]
pub struct RetentionSettings {
    /// Completed outbox rows are deleted once completed this long ago (`90s`, `30m`, `12h`,
    /// `7d`). Waiting, unfinished and dead rows are never deleted; sent emails and summaries
    /// are records and are kept.
    #[arg(long, env = "OUTBOX_RETENTION", default_value = "7d", value_parser = parse_duration)]
    pub outbox_retention: Duration,
    /// Idempotency keys (of orders and of stock adjustments) expire this long after their
    /// first use: a request repeating one after that is a new order or adjustment.
    #[arg(long, env = "IDEMPOTENCY_KEY_TTL", default_value = "24h", value_parser = parse_duration)]
    pub idempotency_key_ttl: Duration,
}

impl RetentionSettings {
    /// The policy, deleting 1,000 rows per statement.
    pub fn policy(&self) -> RetentionPolicy {
        RetentionPolicy {
            completed_jobs: self.outbox_retention,
            idempotency_keys: self.idempotency_key_ttl,
            ..RetentionPolicy::default()
        }
    }
}

/// A whole number and a unit: `s`, `m`, `h` or `d` (`90s`, `30m`, `12h`, `7d`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: expected a whole number and a unit (s, m, h, d), e.g. 7d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit must be s, m, h or d, e.g. 7d")),
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?}: too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_a_number_and_a_unit() {
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        for bad in ["", "7", "d", "7w", "-1d", "1.5h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
