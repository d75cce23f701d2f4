//! `worker`: background jobs on the Redis broker — the outbox relay and job consumer (`run`),
//! the daily-summary scheduler (`schedule`, or `run --schedule`), and a summary on demand
//! (`run-summary --date`).

use std::sync::Arc;
use std::time::Duration;

use aforro_adapters::postgres::{PoolSettings, Postgres, RecordingMailer};
use aforro_adapters::redis::Redis;
use aforro_adapters::smtp::SmtpMailer;
use aforro_core::jobs::{Mailer, SummaryRepository};
use aforro_worker::config::{Connections, JobSettings, RetentionSettings};
use aforro_worker::metered::MeteredQueue;
use aforro_worker::metrics::{Sources, WorkerMetrics};
use aforro_worker::runner::Worker;
use aforro_worker::schedule::{Scheduler, SummarySchedule, DEFAULT_SUMMARY_SCHEDULE};
use aforro_worker::shutdown::run_until_stopped;
use anyhow::Context;
use chrono::NaiveDate;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "worker",
    version,
    about = "aforro background jobs: order emails and daily inventory summaries on Redis Streams"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    connections: Connections,
    #[command(flatten)]
    jobs: JobSettings,
    #[command(flatten)]
    retention: RetentionSettings,
    /// When the scheduler enqueues the daily summary: cron (minute hour day month weekday), UTC.
    #[arg(long, env = "SUMMARY_SCHEDULE", default_value = DEFAULT_SUMMARY_SCHEDULE, global = true)]
    summary_schedule: String,
    /// Where `run` and `schedule` serve Prometheus metrics (`GET /metrics`); `off` for none.
    /// An address already taken (a second worker on the host) is logged and skipped: jobs
    /// matter more than their metrics.
    #[arg(long, env = "METRICS_ADDR", default_value = "127.0.0.1:9101", global = true)]
    metrics_addr: String,
    /// After SIGTERM, how long the batch in hand may take before the process stops anyway,
    /// leaving its jobs to another worker (a second SIGTERM stops at once).
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600), global = true)]
    shutdown_timeout_seconds: u64,
}

/// Serves the worker's metrics on `addr` unless it is `off`; returns them.
fn start_metrics(addr: &str, postgres: &Postgres, redis: &Redis) -> anyhow::Result<WorkerMetrics> {
    let metrics = WorkerMetrics::new()?;
    if addr.eq_ignore_ascii_case("off") {
        return Ok(metrics);
    }
    let sources = Sources {
        postgres: postgres.clone(),
        redis: redis.clone(),
    };
    match std::net::TcpListener::bind(addr) {
        Ok(listener) => {
            let port = aforro_worker::metrics::serve(listener, metrics.clone(), sources)
                .with_context(|| format!("cannot serve metrics on {addr}"))?;
            tracing::info!(addr, port, "serving metrics");
        }
        Err(error) => {
            tracing::warn!(addr, %error, "metrics address unavailable; running without /metrics (set METRICS_ADDR)");
        }
    }
    Ok(metrics)
}

#[derive(Subcommand)]
enum Command {
    /// Relay the outbox and run jobs until SIGTERM/SIGINT (the default).
    Run {
        /// Also run the scheduler (summaries and retention) in this process.
        #[arg(long)]
        schedule: bool,
    },
    /// Only the scheduler: enqueue the daily summary on `SUMMARY_SCHEDULE` (the Celery beat
    /// role), and delete completed jobs and expired idempotency keys every minute.
    Schedule,
    /// Compute every store's summary of one day now, print it, and exit.
    RunSummary {
        /// The UTC day (YYYY-MM-DD); default: yesterday.
        #[arg(long)]
        date: Option<NaiveDate>,
    },
}

/// The command line, with every option global: accepted before or after the subcommand
/// (`worker run --concurrency 16` and `worker --concurrency 16 run` alike).
fn parse_command_line() -> Cli {
    let matches = Cli::command().mut_args(|arg| arg.global(true)).get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    aforro_adapters::telemetry::init();
    let cli = parse_command_line();
    let schedule = SummarySchedule::parse(&cli.summary_schedule).map_err(anyhow::Error::msg)?;
    let postgres = Postgres::connect(
        &cli.connections.database_url,
        PoolSettings {
            max_size: cli.jobs.pool_size(cli.connections.database_pool_size),
            ..PoolSettings::default()
        },
    )?;
    let redis = cli.connections.redis.connect()?;
    let shutdown_timeout = Duration::from_secs(cli.shutdown_timeout_seconds);

    match cli.command.unwrap_or(Command::Run { schedule: false }) {
        Command::RunSummary { date } => {
            let day = date.unwrap_or_else(|| aforro_worker::schedule::day_summarised(chrono::Utc::now()));
            let summaries = postgres
                .summarize_day(day, cli.jobs.low_stock_threshold)
                .await
                .with_context(|| format!("summary of {day} failed"))?;
            println!(
                "store\tday\tproducts\tunits\tat_zero\tlow_stock\tconfirmed\trejected\tcancelled\treturned"
            );
            for s in &summaries {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    s.store_id,
                    s.day,
                    s.product_count,
                    s.total_units,
                    s.items_at_zero,
                    s.items_low_stock,
                    s.orders_confirmed,
                    s.orders_rejected,
                    s.orders_cancelled,
                    s.units_returned
                );
            }
            tracing::info!(%day, stores = summaries.len(), "inventory summaries stored");
        }
        Command::Schedule => {
            let metrics = start_metrics(&cli.metrics_addr, &postgres, &redis)?;
            let scheduler = Scheduler {
                outbox: Arc::new(postgres.clone()),
                schedule,
                retention: Arc::new(postgres),
                retention_policy: cli.retention.policy(),
                metrics: Some(metrics),
            };
            let stopped = run_until_stopped(shutdown_timeout, |token| scheduler.run(token)).await?;
            tracing::info!(?stopped, "scheduler exited");
        }
        Command::Run {
            schedule: with_scheduler,
        } => {
            let mailer: Arc<dyn Mailer> = match &cli.jobs.smtp_url {
                Some(url) => Arc::new(SmtpMailer::new(postgres.clone(), url)?),
                None => Arc::new(RecordingMailer::new(postgres.clone())),
            };
            let metrics = start_metrics(&cli.metrics_addr, &postgres, &redis)?;
            let worker = Worker {
                outbox: Arc::new(postgres.clone()),
                queue: Arc::new(MeteredQueue {
                    inner: redis.clone(),
                    metrics: metrics.clone(),
                }),
                orders: Arc::new(postgres.clone()),
                mailer,
                summaries: Arc::new(postgres.clone()),
                // The same Redis and key prefix as the servers' cache (REDIS_KEY_PREFIX).
                cache: Arc::new(redis),
                mail: cli.jobs.mail(),
                low_stock_threshold: cli.jobs.low_stock_threshold,
                policy: cli.jobs.retry_policy(),
                consumer: Worker::consumer_name(),
                claim_idle: Duration::from_secs(cli.jobs.job_claim_idle_seconds),
                republish_after: Duration::from_secs(cli.jobs.outbox_republish_seconds),
                batch: cli.jobs.job_batch as usize,
                concurrency: cli.jobs.concurrency as usize,
            };
            let stopped = if with_scheduler {
                let scheduler = Scheduler {
                    outbox: Arc::new(postgres.clone()),
                    schedule,
                    retention: Arc::new(postgres),
                    retention_policy: cli.retention.policy(),
                    metrics: Some(metrics),
                };
                run_until_stopped(shutdown_timeout, |token| async move {
                    tokio::join!(worker.run(token.clone()), scheduler.run(token));
                })
                .await?
            } else {
                run_until_stopped(shutdown_timeout, |token| async move { worker.run(token).await }).await?
            };
            tracing::info!(?stopped, "worker exited");
        }
    }
    Ok(())
}
