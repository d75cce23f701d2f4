//! What handlers share ([`AppState`]): the ports the use-cases need, and the adapters for
//! readiness checks and metrics. Its own module, so that handlers depend on it and not on the
//! app that registers them (`app` → `routes` → `state`, no way back).

use std::sync::Arc;
use std::time::Duration;

use aforro_adapters::local_rate_limit::LocalRateLimiter;
use aforro_adapters::postgres::{PoolSettings, Postgres};
use aforro_adapters::redis::Redis;
use aforro_core::auth::{SessionRepository, TokenRepository};
use aforro_core::backoffice::BackofficeRepository;
use aforro_core::cache::{Cache, NoCache};
use aforro_core::catalogue::CatalogueRepository;
use aforro_core::inventory::{InventoryRepository, StockAdjustmentRepository, StockMovementRepository};
use aforro_core::jobs::{Outbox, SummaryRepository};
use aforro_core::orders::OrderRepository;
use aforro_core::rate_limit::{RateLimit, RateLimiter};
use aforro_core::search::{CatalogSearch, CountLimit};
use aforro_core::stores::StoreRepository;
use anyhow::Context as _;

use crate::config::{ConsoleSettings, Settings, TrustedProxies};
use crate::observe::Metrics;
use crate::shutdown::Draining;

/// What handlers share: the ports, and the adapters for readiness checks.
pub struct AppState {
    /// Orders port.
    pub orders: Arc<dyn OrderRepository>,
    /// Stores port.
    pub stores: Arc<dyn StoreRepository>,
    /// Inventory port.
    pub inventory: Arc<dyn InventoryRepository>,
    /// Stock adjustments port.
    pub adjustments: Arc<dyn StockAdjustmentRepository>,
    /// Stock movements port.
    pub movements: Arc<dyn StockMovementRepository>,
    /// Search port.
    pub search: Arc<dyn CatalogSearch>,
    /// Categories, products and stores, one at a time.
    pub catalogue: Arc<dyn CatalogueRepository>,
    /// Staff tokens, for authentication.
    pub tokens: Arc<dyn TokenRepository>,
    /// Console sessions.
    pub sessions: Arc<dyn SessionRepository>,
    /// The console's reads.
    pub backoffice: Arc<dyn BackofficeRepository>,
    /// The console's settings.
    pub console: ConsoleSettings,
    /// Daily inventory summaries (written by the worker).
    pub summaries: Arc<dyn SummaryRepository>,
    /// Jobs for the worker: here, cache invalidations this process could not apply.
    pub outbox: Arc<dyn Outbox>,
    /// Response cache (Redis, or [`NoCache`] when disabled).
    pub cache: Arc<dyn Cache>,
    /// Lifetime of cache entries (a memory bound; invalidation is by version).
    pub cache_ttl: Duration,
    /// How far a product search counts (and pages).
    pub search_count_limit: CountLimit,
    /// The rate limiter every process shares (Redis).
    pub shared_limiter: Arc<dyn RateLimiter>,
    /// This process's fallback while the shared limiter is down.
    pub local_limiter: Arc<dyn RateLimiter>,
    /// The suggest endpoint's limit per client.
    pub suggest_limit: RateLimit,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// Postgres, for `/readyz`.
    pub postgres: Postgres,
    /// Redis, for `/readyz` and `/metrics`.
    pub redis: Redis,
    /// This app's metrics (its own registry: see [`Metrics`]).
    pub metrics: Metrics,
    /// Whether a shutdown has begun (`/readyz` answers 503; see [`crate::shutdown`]).
    pub draining: Draining,
}

impl AppState {
    /// Builds the adapters (no connection is opened yet).
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let pool = PoolSettings {
            max_size: settings.database.database_pool_size,
            ..PoolSettings::default()
        };
        let mut postgres = Postgres::connect(&settings.database.database_url, pool)?;
        if let Some(read_url) = &settings.read_replica.database_read_url {
            let wait = Duration::from_millis(settings.read_replica.database_read_wait_ms);
            postgres = postgres.with_read_replica(read_url, pool, wait)?;
        }
        let redis = settings.redis.connect()?;
        let cache: Arc<dyn Cache> = if settings.cache.cache_enabled {
            Arc::new(redis.clone())
        } else {
            Arc::new(NoCache)
        };
        Ok(Self {
            orders: Arc::new(postgres.clone()),
            stores: Arc::new(postgres.clone()),
            inventory: Arc::new(postgres.clone()),
            adjustments: Arc::new(postgres.clone()),
            movements: Arc::new(postgres.clone()),
            search: Arc::new(postgres.clone()),
            catalogue: Arc::new(postgres.clone()),
            tokens: Arc::new(postgres.clone()),
            sessions: Arc::new(postgres.clone()),
            backoffice: Arc::new(postgres.clone()),
            console: settings.console.clone(),
            summaries: Arc::new(postgres.clone()),
            outbox: Arc::new(postgres.clone()),
            cache,
            cache_ttl: Duration::from_secs(settings.cache.cache_ttl_seconds),
            search_count_limit: CountLimit::new(settings.search_count_limit)
                .context("SEARCH_COUNT_LIMIT must be at least 1")?,
            shared_limiter: Arc::new(redis.clone()),
            local_limiter: Arc::new(LocalRateLimiter::default()),
            suggest_limit: RateLimit {
                limit: settings.cache.suggest_rate_limit_per_minute,
                window: Duration::from_secs(settings.cache.suggest_rate_limit_window_seconds),
            },
            trusted_proxies: settings.cache.trusted_proxies.clone(),
            postgres,
            redis,
            metrics: Metrics::new()?,
            draining: Draining::default(),
        })
    }
}
