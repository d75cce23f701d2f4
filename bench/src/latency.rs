//! Latency measurement shared by the benchmarks.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// The `p`th percentile (nearest rank) of sorted latencies.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// GETs every URL, `concurrency` at a time; sorted latencies. Any non-2xx fails the run.
pub async fn measure(
    client: &reqwest::Client,
    urls: Vec<String>,
    concurrency: usize,
) -> anyhow::Result<Vec<Duration>> {
    use futures::StreamExt;
    let results: Vec<anyhow::Result<Duration>> = futures::stream::iter(urls)
        .map(|url| async move {
            let started = Instant::now();
            let response = client.get(&url).send().await.with_context(|| url.clone())?;
            let status = response.status();
            response.bytes().await?;
            if !status.is_success() {
                bail!("{url}: {status}");
            }
            Ok(started.elapsed())
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut latencies = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    latencies.sort_unstable();
    Ok(latencies)
}
