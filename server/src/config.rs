//! Settings, read once from flags or environment variables. The defaults match
//! `scripts/services` (Postgres on 127.0.0.1:55432, Redis on 127.0.0.1:56379).

use clap::Args;

/// Default `DATABASE_URL`: the project-local Postgres of `scripts/services`.
pub const DEFAULT_DATABASE_URL: &str = "postgres://aforro:aforro@127.0.0.1:55432/aforro";
pub use aforro_adapters::redis::{RedisSettings, DEFAULT_REDIS_URL};

/// Default `SEARCH_COUNT_LIMIT` (see [`Settings::search_count_limit`]).
pub const DEFAULT_SEARCH_COUNT_LIMIT: u32 = 5_000;

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub database_url: String,
    /// Most Postgres connections this process opens.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 16)]
    pub database_pool_size: usize,
}

/// An optional streaming replica for the server's reads.
#[derive(Debug, Clone, Default, Args)]
pub struct ReadReplicaSettings {
    /// A streaming replica for reads that may lag (search, suggest, listings, order and
    /// summary reads); each waits until the replica has what the primary had when the read
    /// began, so none is older than a response already given. Unset: every read on the primary.
    #[arg(long, env = "DATABASE_READ_URL", hide_env_values = true)]
    pub database_read_url: Option<String>,
    /// How long a read waits for the replica to catch up before it reads from the primary.
    #[arg(long, env = "DATABASE_READ_WAIT_MS", default_value_t = 50, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub database_read_wait_ms: u64,
}

/// Settings of the HTTP server.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8000")]
    pub bind: String,
    /// Seconds a client has to send a request's headers, and again its body; past either it
    /// gets 408 and the connection is closed (a 64 KiB body needs a few seconds even on a slow
    /// link).
    #[arg(long, env = "REQUEST_TIMEOUT_SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub request_timeout_seconds: u64,
    /// How many matches a product search counts before it answers "at least" (`count_exact`
    /// false); only the first this many results can be paged to. 1,000 to 10,000; the default
    /// is the largest that kept search p99 within 50 ms at 1,000,000 products (bench/RESULTS.md).
    #[arg(long, env = "SEARCH_COUNT_LIMIT", default_value_t = DEFAULT_SEARCH_COUNT_LIMIT, value_parser = clap::value_parser!(u32).range(1_000..=10_000))]
    pub search_count_limit: u32,
    /// Seconds between SIGTERM and closing the listener: `/readyz` answers 503 at once and
    /// requests are still served meanwhile, so a proxy polling readiness stops routing here
    /// before the listener closes (`server/src/shutdown.rs`).
    #[arg(long, env = "SHUTDOWN_DRAIN_SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=300))]
    pub shutdown_drain_seconds: u64,
    /// Seconds the requests in flight have to finish once the listener is closed; past them
    /// they are cut.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub shutdown_timeout_seconds: u64,
    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "HTTP_WORKERS")]
    pub http_workers: Option<usize>,
    /// Serve `GET /metrics` on this address instead of on `BIND_ADDR` (e.g. a port only the
    /// monitoring network reaches). Unset: `/metrics` is served with the API.
    #[arg(long = "metrics-bind", env = "METRICS_BIND_ADDR")]
    pub metrics_bind: Option<String>,
    /// Database settings.
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// Read replica settings.
    #[command(flatten)]
    pub read_replica: ReadReplicaSettings,
    /// Redis (a single node or a cluster).
    #[command(flatten)]
    pub redis: RedisSettings,
    /// Cache and rate-limit settings.
    #[command(flatten)]
    pub cache: CacheSettings,
    /// The staff console's settings.
    #[command(flatten)]
    pub console: ConsoleSettings,
}

/// The staff console (`/console/`, docs/console.md).
#[derive(Debug, Clone, Args)]
pub struct ConsoleSettings {
    /// Mark the session cookie `Secure` (sent over HTTPS only). Set it wherever the console is
    /// served over HTTPS, as it should be beyond a laptop.
    #[arg(long, env = "CONSOLE_SECURE_COOKIE", default_value_t = false, action = clap::ArgAction::Set)]
    pub console_secure_cookie: bool,
    /// Minutes a console session may stay unused before it ends (a shift).
    #[arg(long, env = "CONSOLE_SESSION_IDLE_MINUTES", default_value_t = 480, value_parser = clap::value_parser!(u64).range(1..=10_080))]
    pub console_session_idle_minutes: u64,
    /// Sign-in attempts allowed per client IP each minute (a guessed token is 256 random bits,
    /// so this is about load and noise in the logs).
    #[arg(long, env = "CONSOLE_LOGIN_RATE_LIMIT_PER_MINUTE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub console_login_rate_limit_per_minute: u32,
    /// A stock row with fewer units than this (but at least one) is "low" in the console; the
    /// worker's daily summary reads the same variable.
    #[arg(long, env = "LOW_STOCK_THRESHOLD", default_value_t = aforro_core::backoffice::DEFAULT_LOW_STOCK_BELOW, value_parser = clap::value_parser!(u32).range(1..))]
    pub low_stock_threshold: u32,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            console_secure_cookie: false,
            console_session_idle_minutes: 480,
            console_login_rate_limit_per_minute: 10,
            low_stock_threshold: aforro_core::backoffice::DEFAULT_LOW_STOCK_BELOW,
        }
    }
}

/// Response caching and the suggest rate limit (both in Redis).
#[derive(Debug, Clone, Args)]
pub struct CacheSettings {
    /// Cache inventory, search and suggest responses in Redis (`false` to measure without).
    #[arg(long, env = "CACHE_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub cache_enabled: bool,
    /// Lifetime of a cache entry, in seconds. Only a memory bound: entries are invalidated
    /// exactly by version bumps, not by expiry.
    #[arg(long, env = "CACHE_TTL_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub cache_ttl_seconds: u64,
    /// Suggest requests allowed per client IP in each rolling window.
    #[arg(long, env = "SUGGEST_RATE_LIMIT_PER_MINUTE", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub suggest_rate_limit_per_minute: u32,
    /// Length of the rate-limit window, in seconds (60: "per minute").
    #[arg(long, env = "SUGGEST_RATE_LIMIT_WINDOW_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub suggest_rate_limit_window_seconds: u64,
    /// Comma-separated proxy addresses or CIDR ranges whose `X-Forwarded-For` is believed
    /// (e.g. `10.0.0.0/8,127.0.0.1`). Empty: the socket peer is the client.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "", value_parser = parse_proxies)]
    pub trusted_proxies: TrustedProxies,
}

/// Networks whose `X-Forwarded-For` header is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<ipnet::IpNet>);

fn parse_proxies(raw: &str) -> Result<TrustedProxies, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("`{entry}` is not an IP address or CIDR range"))
        })
        .collect::<Result<_, _>>()
        .map(TrustedProxies)
}
