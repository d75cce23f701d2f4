//! The server's metrics, in a registry of its own (not a process-wide one), so that two apps in
//! one process — parallel integration tests — each count only their own requests.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use aforro_adapters::postgres::Postgres;
use aforro_adapters::redis::Redis;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::state::AppState;

/// Latency buckets in seconds: 100 µs to 250 µs resolve cache hits, 50–250 ms searches.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5,
    5.0,
];

/// Every metric the server exports (see docs/observability.md for what each means).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Requests by route template, method and status class.
    pub http_requests: IntCounterVec,
    /// Request latency by route template and method.
    pub http_duration: HistogramVec,
    /// Cached endpoints' answers by route and `X-Cache` (hit, miss, bypass).
    pub cache_requests: IntCounterVec,
    /// Rate-limit decisions by route (allowed, refused).
    pub rate_limit: IntCounterVec,
    /// Orders placed by outcome (confirmed, rejected); idempotent replays are not counted.
    pub orders: IntCounterVec,
    /// Stock adjustments by outcome (applied, refused); replays are not counted.
    pub stock_adjustments: IntCounterVec,
    pool_max: IntGauge,
    pool_connections: IntGaugeVec,
    pool_waiting: IntGauge,
    redis_failures: IntCounter,
    pending_invalidations: IntGauge,
    epoch_bumps: IntCounter,
    replica_reads: IntCounterVec,
    /// Held while counters catch up with the adapters' totals (see [`catch_up`]).
    catching_up: std::sync::Arc<std::sync::Mutex<()>>,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| -> prometheus::Result<IntCounterVec> {
            let metric = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(metric.clone()))?;
            Ok(metric)
        };
        let http_requests = counter(
            "aforro_http_requests_total",
            "HTTP requests by route template, method and status class.",
            &["route", "method", "status"],
        )?;
        let cache_requests = counter(
            "aforro_cache_requests_total",
            "Answers of cached endpoints by route and result (hit, miss, bypass).",
            &["route", "result"],
        )?;
        let rate_limit = counter(
            "aforro_rate_limit_decisions_total",
            "Rate-limited requests by route and decision (allowed, refused).",
            &["route", "decision"],
        )?;
        let orders = counter(
            "aforro_orders_total",
            "Orders placed, by status (confirmed, rejected); replays not counted.",
            &["status"],
        )?;
        let stock_adjustments = counter(
            "aforro_stock_adjustments_total",
            "Stock adjustments by outcome (applied, refused); replays not counted.",
            &["outcome"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "aforro_http_request_duration_seconds",
                "Time from request to response headers, by route template and method.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route", "method"],
        )?;
        registry.register(Box::new(http_duration.clone()))?;
        let gauge = |name: &str, help: &str| -> prometheus::Result<IntGauge> {
            let metric = IntGauge::new(name, help)?;
            registry.register(Box::new(metric.clone()))?;
            Ok(metric)
        };
        let pool_max = gauge(
            "aforro_db_pool_max_connections",
            "Most Postgres connections the pool opens.",
        )?;
        let pool_waiting = gauge(
            "aforro_db_pool_waiting",
            "Requests waiting for a Postgres connection now.",
        )?;
        let pending_invalidations = gauge(
            "aforro_cache_pending_invalidations",
            "Cache invalidations that failed and wait for Redis (the cache is bypassed meanwhile).",
        )?;
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "aforro_db_pool_connections",
                "Postgres connections by state: open (in the pool), in_use (handed out).",
            ),
            &["state"],
        )?;
        registry.register(Box::new(pool_connections.clone()))?;
        let redis_failures = IntCounter::new(
            "aforro_redis_failures_total",
            "Redis operations that failed for want of Redis (cache bypassed, local rate limit used).",
        )?;
        registry.register(Box::new(redis_failures.clone()))?;
        let epoch_bumps = IntCounter::new(
            "aforro_cache_epoch_bumps_total",
            "Times this process bumped the cache epoch (Redis restarted or came back from an outage).",
        )?;
        registry.register(Box::new(epoch_bumps.clone()))?;
        let replica_reads = IntCounterVec::new(
            Opts::new(
                "aforro_db_replica_reads_total",
                "Reads that may run on the read replica, by where they ran: replica (caught up), \
                 primary (the replica was behind for DATABASE_READ_WAIT_MS, or unreachable).",
            ),
            &["served_by"],
        )?;
        registry.register(Box::new(replica_reads.clone()))?;
        Ok(Self {
            registry,
            http_requests,
            http_duration,
            cache_requests,
            rate_limit,
            orders,
            stock_adjustments,
            pool_max,
            pool_connections,
            pool_waiting,
            redis_failures,
            pending_invalidations,
            epoch_bumps,
            replica_reads,
            catching_up: std::sync::Arc::default(),
        })
    }

    /// Reads the adapters' figures, then the registry in Prometheus's text format.
    pub fn render(&self, postgres: &Postgres, redis: &Redis) -> prometheus::Result<String> {
        let pool = postgres.pool_stats();
        self.pool_max.set(as_i64(pool.max_size));
        self.pool_connections
            .with_label_values(&["open"])
            .set(as_i64(pool.size));
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(as_i64(pool.in_use));
        self.pool_waiting.set(as_i64(pool.waiting));
        self.pending_invalidations
            .set(as_i64(redis.pending_invalidations()));
        // The adapters keep totals; a counter only moves forward, by the difference. One
        // scrape at a time, or two would both add the same difference.
        if let Ok(_guard) = self.catching_up.lock() {
            catch_up(&self.redis_failures, redis.failed_operations());
            catch_up(&self.epoch_bumps, redis.epoch_bumps());
            let reads = postgres.replica_reads();
            catch_up(
                &self.replica_reads.with_label_values(&["replica"]),
                reads.on_replica,
            );
            catch_up(
                &self.replica_reads.with_label_values(&["primary"]),
                reads.fell_back,
            );
        }
        let mut text = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut text)?;
        String::from_utf8(text).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Advances `counter` to `total`.
fn catch_up(counter: &IntCounter, total: u64) {
    let seen = counter.get();
    if total > seen {
        counter.inc_by(total - seen);
    }
}

/// `GET /metrics`: Prometheus text format. Never cached (`no-store`) and never rate limited.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    match state.metrics.render(&state.postgres, &state.redis) {
        Ok(text) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, TextEncoder::new().format_type()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(text),
        Err(error) => {
            tracing::error!(%error, "metrics could not be rendered");
            HttpResponse::InternalServerError().finish()
        }
    }
}
