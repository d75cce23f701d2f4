//! Where Redis is: the settings every binary reads (flags or environment variables).

use aforro_core::Result;
use clap::Args;

use super::Redis;

/// Default `REDIS_URL`: the project-local Redis of `scripts/services`.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:56379";

/// A single Redis node (the default) or a Redis Cluster.
#[derive(Debug, Clone, Args)]
pub struct RedisSettings {
    /// Redis connection URL (a single node; ignored when REDIS_CLUSTER_URLS is set).
    #[arg(long, env = "REDIS_URL", default_value = DEFAULT_REDIS_URL, hide_env_values = true)]
    pub redis_url: String,
    /// A Redis Cluster instead of a single node: some of its nodes' URLs, comma-separated
    /// (the others are discovered).
    #[arg(
        long,
        env = "REDIS_CLUSTER_URLS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub redis_cluster_urls: Vec<String>,
    /// On a cluster: how many replicas must have a cache invalidation before a write's
    /// response is sent (0 for a cluster without replicas). Fewer within 100 ms: this process
    /// bypasses the cache until they have it.
    #[arg(long, env = "REDIS_CLUSTER_WAIT_REPLICAS", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=5))]
    pub redis_cluster_wait_replicas: u32,
    /// Prefix of every Redis key, so several deployments can share one Redis (the same in
    /// every server, worker and seeder of a deployment).
    #[arg(long, env = "REDIS_KEY_PREFIX", default_value = "aforro")]
    pub redis_key_prefix: String,
}

impl RedisSettings {
    /// A single node at `redis_url`, with the default prefix.
    pub fn single(redis_url: impl Into<String>) -> Self {
        Self {
            redis_url: redis_url.into(),
            redis_cluster_urls: Vec::new(),
            redis_cluster_wait_replicas: 1,
            redis_key_prefix: "aforro".into(),
        }
    }

    /// The adapter for these settings (not connected yet: see [`Redis::connect`]).
    pub fn connect(&self) -> Result<Redis> {
        if self.redis_cluster_urls.is_empty() {
            Redis::connect(&self.redis_url, &self.redis_key_prefix)
        } else {
            Redis::connect_cluster(
                &self.redis_cluster_urls,
                &self.redis_key_prefix,
                self.redis_cluster_wait_replicas,
            )
        }
    }
}
