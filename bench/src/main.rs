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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    match cli.command {
        Command::Search { rounds, concurrency } => {
            let classes = [
                ("search", "/api/search/products/?", SEARCHES),
                ("suggest", "/api/search/suggest/?q=", SUGGESTS),
            ];
            println!("| endpoint | requests | concurrency | p50 ms | p99 ms | max ms |");
            println!("| --- | --- | --- | --- | --- | --- |");
            for (name, path, queries) in classes {
                // One warm-up round so connection set-up and cold caches are not measured.
                let warm: Vec<String> = queries.iter().map(|q| format!("{}{path}{q}", cli.url)).collect();
                measure(&client, warm, concurrency).await?;
                let urls: Vec<String> = (0..rounds)
                    .flat_map(|_| queries.iter().map(|q| format!("{}{path}{q}", cli.url)))
                    .collect();
                let latencies = measure(&client, urls, concurrency).await?;
                println!(
                    "| {name} | {} | {concurrency} | {} | {} | {} |",
                    latencies.len(),
                    ms(percentile(&latencies, 50.0)),
                    ms(percentile(&latencies, 99.0)),
                    ms(latencies.last().copied().unwrap_or_default())
                );
            }
        }
    }
    Ok(())
}
