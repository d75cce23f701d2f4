//! `bench`: latency of a running aforro server over loopback, per request class, as p50/p99.
//! A measuring tool, not a test: it asserts nothing and prints a table.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bench",
    version,
    about = "Measure latency percentiles of a running aforro server"
)]
struct Cli {
    /// Base URL of the server.
    #[arg(long, env = "BENCH_URL", default_value = "http://127.0.0.1:8001")]
    url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Search and suggest: a mix of realistic queries, each class measured separately.
    Search {
        /// Rounds over the query mix (each round sends every query once).
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        /// A second server on the same database with its response cache on: measured right
        /// after the first (warm cache), with the uncached/cached ratio of each percentile.
        #[arg(long)]
        cached_url: Option<String>,
    },
}

/// Realistic searches: single words, partial words, multi-word, filters, sorts, deep pages.
const SEARCHES: &[&str] = &[
    "q=tea",
    "q=choc",
    "q=green%20tea",
    "q=organic%20honey",
    "q=crunchy&sort=price",
    "q=chips&min_price=1&max_price=5",
    "q=coffee&store_id=3",
    "q=shampoo&in_stock=true",
    "q=mango&store_id=7&in_stock=true",
    "q=vanilla%20ice%20cream",
    "q=dark%20chocolate&sort=-price",
    "category=Snacks&sort=price",
    "category=2&min_price=10",
    "sort=newest",
    "sort=price&page=50",
    "store_id=5&sort=newest",
    "q=laundry",
    "q=xylophone",
    "q=pet&category=Pet%20Supplies",
    "in_stock=false&sort=-price",
];

/// Realistic autocomplete prefixes: what a user types, three letters on.
const SUGGESTS: &[&str] = &[
    "gre",
    "gree",
    "green",
    "green%20t",
    "cho",
    "choc",
    "choco",
    "org",
    "organic%20m",
    "tea",
    "cof",
    "mil",
    "van",
    "straw",
    "sea%20sa",
    "pea",
    "ban",
    "cris",
    "xyz",
    "lemo",
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

async fn measure(
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

/// p50, p99 and max of one request class against one server.
async fn class_latency(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    queries: &[&str],
    rounds: usize,
    concurrency: usize,
) -> anyhow::Result<(usize, Duration, Duration, Duration)> {
    // One warm-up round so connection set-up and cold caches are not measured (and, with the
    // response cache on, so every later request is a hit).
    let warm: Vec<String> = queries.iter().map(|q| format!("{base}{path}{q}")).collect();
    measure(client, warm, concurrency).await?;
    let urls: Vec<String> = (0..rounds)
        .flat_map(|_| queries.iter().map(|q| format!("{base}{path}{q}")))
        .collect();
    let latencies = measure(client, urls, concurrency).await?;
    Ok((
        latencies.len(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or_default(),
    ))
}

fn ratio(uncached: Duration, cached: Duration) -> String {
    format!("{:.0}×", uncached.as_secs_f64() / cached.as_secs_f64().max(1e-9))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    match cli.command {
        Command::Search {
            rounds,
            concurrency,
            cached_url,
        } => {
            let classes = [
                ("search", "/api/search/products/?", SEARCHES),
                ("suggest", "/api/search/suggest/?q=", SUGGESTS),
            ];
            println!("| endpoint | cache | requests | concurrency | p50 ms | p99 ms | max ms |");
            println!("| --- | --- | --- | --- | --- | --- | --- |");
            let mut ratios = Vec::new();
            for (name, path, queries) in classes {
                let (n, p50, p99, max) =
                    class_latency(&client, &cli.url, path, queries, rounds, concurrency).await?;
                println!(
                    "| {name} | off | {n} | {concurrency} | {} | {} | {} |",
                    ms(p50),
                    ms(p99),
                    ms(max)
                );
                if let Some(cached_url) = &cached_url {
                    let (n, c50, c99, cmax) =
                        class_latency(&client, cached_url, path, queries, rounds, concurrency).await?;
                    println!(
                        "| {name} | warm | {n} | {concurrency} | {} | {} | {} |",
                        ms(c50),
                        ms(c99),
                        ms(cmax)
                    );
                    ratios.push(format!(
                        "{name}: p50 {} faster cached, p99 {} faster cached",
                        ratio(p50, c50),
                        ratio(p99, c99)
                    ));
                }
            }
            for line in ratios {
                println!("\n{line}");
            }
        }
    }
    Ok(())
}
