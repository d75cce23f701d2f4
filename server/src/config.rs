//! Settings, read once from flags or environment variables. The defaults match
//! `scripts/services` (Postgres on 127.0.0.1:55432, Redis on 127.0.0.1:56379).

use clap::Args;

/// Default `DATABASE_URL`: the project-local Postgres of `scripts/services`.
pub const DEFAULT_DATABASE_URL: &str = "postgres://aforro:aforro@127.0.0.1:55432/aforro";
/// Default `REDIS_URL`: the project-local Redis of `scripts/services`.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:56379";

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

/// Settings of the HTTP server.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8000")]
    pub bind: String,
    /// Redis connection URL.
    #[arg(long, env = "REDIS_URL", default_value = DEFAULT_REDIS_URL, hide_env_values = true)]
    pub redis_url: String,
    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "HTTP_WORKERS")]
    pub http_workers: Option<usize>,
    /// Database settings.
    #[command(flatten)]
    pub database: DatabaseSettings,
}
