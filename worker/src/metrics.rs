//! The worker's metrics: jobs by kind and outcome, the time from enqueue to done, the outbox and
//! stream backlogs, and the scheduler's last successful runs. Served on `--metrics-addr` by
//! [`serve`]; the backlog gauges are read from Postgres and Redis at each scrape.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, App, HttpResponse, HttpServer};
use aforro_adapters::postgres::Postgres;
use aforro_adapters::redis::Redis;
use aforro_core::jobs::Delivery;
use chrono::Utc;
use prometheus::{
    Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use tokio::sync::{mpsc, oneshot};

/// Enqueue-to-done buckets in seconds: tens of milliseconds when the worker keeps up, minutes
/// when it is behind or retrying.
const JOB_LATENCY_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];
/// A scrape answers within this even when Postgres or Redis hang (with the last figures read).
const REFRESH_TIMEOUT: Duration = Duration::from_secs(2);

/// Every metric the worker exports (see docs/observability.md). Cheap to clone.
#[derive(Clone)]
pub struct WorkerMetrics {
    registry: Registry,
    jobs: IntCounterVec,
    latency: HistogramVec,
    outbox_waiting: IntGauge,
    outbox_oldest_age: Gauge,
    stream_pending: IntGauge,
    stream_length: IntGauge,
    scheduler_last_success: GaugeVec,
}

impl WorkerMetrics {
    /// Creates and registers every metric, in a registry of its own.
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let jobs = IntCounterVec::new(
            Opts::new(
                "aforro_jobs_total",
                "Jobs settled by this worker, by kind and outcome (done, retried, failed).",
            ),
            &["kind", "outcome"],
        )?;
        registry.register(Box::new(jobs.clone()))?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "aforro_job_latency_seconds",
                "Time from the job's outbox row being written to the job being done, by kind.",
            )
            .buckets(JOB_LATENCY_BUCKETS.to_vec()),
            &["kind"],
        )?;
        registry.register(Box::new(latency.clone()))?;
        let outbox_waiting = IntGauge::new(
            "aforro_outbox_waiting",
            "Outbox rows neither done nor dead (published or not).",
        )?;
        registry.register(Box::new(outbox_waiting.clone()))?;
        let outbox_oldest_age = Gauge::new(
            "aforro_outbox_oldest_age_seconds",
            "Age of the oldest outbox row neither done nor dead; 0 when none waits.",
        )?;
        registry.register(Box::new(outbox_oldest_age.clone()))?;
        let stream_pending = IntGauge::new(
            "aforro_stream_pending",
            "Stream messages received by a worker and not yet acknowledged.",
        )?;
        registry.register(Box::new(stream_pending.clone()))?;
        let stream_length = IntGauge::new(
            "aforro_stream_length",
            "Stream messages not yet acknowledged, received or not (the queue's backlog).",
        )?;
        registry.register(Box::new(stream_length.clone()))?;
        let scheduler_last_success = GaugeVec::new(
            Opts::new(
                "aforro_scheduler_last_success_timestamp_seconds",
                "Unix time of the scheduler's last successful run, by task (summary, retention).",
            ),
            &["task"],
        )?;
        registry.register(Box::new(scheduler_last_success.clone()))?;
        Ok(Self {
            registry,
            jobs,
            latency,
            outbox_waiting,
            outbox_oldest_age,
            stream_pending,
            stream_length,
            scheduler_last_success,
        })
    }

    /// A job done: counted, and its time since enqueue observed.
    pub fn job_done(&self, delivery: &Delivery) {
        let kind = delivery.job.kind();
        self.jobs.with_label_values(&[kind, "done"]).inc();
        if let Some(waited) = waited(delivery) {
            self.latency
                .with_label_values(&[kind])
                .observe(waited.as_secs_f64());
        }
    }

    /// A job failed and will be retried.
    pub fn job_retried(&self, delivery: &Delivery) {
        self.jobs
            .with_label_values(&[delivery.job.kind(), "retried"])
            .inc();
    }

    /// A job failed for good (dead-lettered).
    pub fn job_failed(&self, delivery: &Delivery) {
        self.jobs
            .with_label_values(&[delivery.job.kind(), "failed"])
            .inc();
    }

    /// The scheduler's `task` ran successfully now.
    pub fn scheduler_succeeded(&self, task: &str) {
        self.scheduler_last_success
            .with_label_values(&[task])
            .set(Utc::now().timestamp_millis() as f64 / 1000.0);
    }

    /// Reads the backlogs from Postgres and Redis. A figure that cannot be read keeps its last
    /// value (the failure is for the relay's and consumer's logs to report).
    pub async fn refresh(&self, postgres: &Postgres, redis: &Redis) {
        match postgres.outbox_backlog().await {
            Ok(backlog) => {
                self.outbox_waiting.set(backlog.waiting);
                let age = backlog
                    .oldest
                    .map(|oldest| (Utc::now() - oldest).num_milliseconds().max(0) as f64 / 1000.0)
                    .unwrap_or(0.0);
                self.outbox_oldest_age.set(age);
            }
            Err(error) => tracing::debug!(%error, "metrics: outbox backlog not read"),
        }
        match redis.stream_pending().await {
            Ok(pending) => self
                .stream_pending
                .set(i64::try_from(pending).unwrap_or(i64::MAX)),
            Err(error) => tracing::debug!(%error, "metrics: stream pending entries not read"),
        }
        match aforro_core::jobs::JobQueue::backlog(redis).await {
            Ok(length) => self.stream_length.set(i64::try_from(length).unwrap_or(i64::MAX)),
            Err(error) => tracing::debug!(%error, "metrics: stream length not read"),
        }
    }

    /// The registry in Prometheus's text format.
    pub fn render(&self) -> prometheus::Result<String> {
        let mut text = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut text)?;
        String::from_utf8(text).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

/// How long ago the delivery's job was written to the outbox, if known.
fn waited(delivery: &Delivery) -> Option<Duration> {
    let enqueued = delivery.origin.enqueued_at?;
    (Utc::now() - enqueued).to_std().ok()
}

/// Where the backlog gauges are read from at each scrape.
#[derive(Clone)]
pub struct Sources {
    /// The outbox.
    pub postgres: Postgres,
    /// The job stream.
    pub redis: Redis,
}

type Scrape = oneshot::Sender<String>;

/// Serves `GET /metrics` on `listener` until the process ends; returns the bound port.
///
/// The HTTP server (actix-web, one thread) runs its own runtime; the Postgres and Redis pools
/// belong to the worker's. So a scrape asks a task on the worker's runtime to read the figures
/// and render them, and waits for the text.
pub fn serve(listener: TcpListener, metrics: WorkerMetrics, sources: Sources) -> std::io::Result<u16> {
    let port = listener.local_addr()?.port();
    let (requests, mut scrapes) = mpsc::channel::<Scrape>(8);
    tokio::spawn(async move {
        while let Some(reply) = scrapes.recv().await {
            let refreshed = metrics.refresh(&sources.postgres, &sources.redis);
            if tokio::time::timeout(REFRESH_TIMEOUT, refreshed).await.is_err() {
                tracing::debug!("metrics: backlog figures not read in time; serving the last ones");
            }
            match metrics.render() {
                Ok(text) => {
                    let _ = reply.send(text);
                }
                Err(error) => tracing::error!(%error, "metrics could not be rendered"),
            }
        }
    });
    let requests = web::Data::new(requests);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(requests.clone())
            .route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    tokio::spawn(server);
    Ok(port)
}

async fn scrape(requests: web::Data<mpsc::Sender<Scrape>>) -> HttpResponse {
    let (reply, text) = oneshot::channel();
    if requests.send(reply).await.is_err() {
        return HttpResponse::ServiceUnavailable().finish();
    }
    match text.await {
        Ok(text) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, TextEncoder::new().format_type()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(text),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}
