//! Latency measurement shared by the benchmarks.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// A server under measurement.
pub struct Server {
    /// Its name in the tables.
    pub label: String,
    /// Its base URL.
    pub base: String,
}

/// The server at `url` named `label`, then each `LABEL=URL` of `--compare`.
pub fn servers(label: &str, url: &str, compare: &[String]) -> anyhow::Result<Vec<Server>> {
    let mut servers = vec![Server {
        label: label.to_owned(),
        base: url.to_owned(),
    }];
    for other in compare {
        let (label, base) = other
            .split_once('=')
            .with_context(|| format!("--compare takes LABEL=URL, not {other}"))?;
        servers.push(Server {
            label: label.to_owned(),
            base: base.to_owned(),
        });
    }
    Ok(servers)
}

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

#[cfg(test)]
mod tests {
    use super::servers;

    #[test]
    fn compare_takes_label_equals_url() {
        let parsed = servers("base", "http://a", &["new=http://b".to_owned()]).unwrap();
        assert_eq!(parsed[1].label, "new");
        assert_eq!(parsed[1].base, "http://b");
        assert!(servers("base", "http://a", &["http://b".to_owned()]).is_err());
    }
}
