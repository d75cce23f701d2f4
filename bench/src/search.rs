//! `bench search`: search and suggest latency, uncached and warm-cached side by side.

use std::time::Duration;

use crate::latency::{measure, ms, percentile, servers, Server};

/// Realistic searches: single words, partial words, multi-word, filters, sorts, deep pages.
pub const SEARCHES: &[&str] = &[
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
    // Broad words (tens of thousands of matches at 1,000,000 products), store-filtered.
    "q=green&store_id=11",
];

/// Realistic autocomplete prefixes: what a user types, three letters on.
pub const SUGGESTS: &[&str] = &[
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

/// Median and max per query, slowest first: which queries hold the class's p99 up.
async fn per_query(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    queries: &[&str],
    rounds: usize,
) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for query in queries {
        let urls = vec![format!("{base}{path}{query}"); rounds.max(1)];
        let latencies = measure(client, urls, 1).await?;
        rows.push((
            percentile(&latencies, 50.0),
            latencies.last().copied().unwrap_or_default(),
            *query,
        ));
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.0));
    println!("\n| {path}… (cache off) | p50 ms | max ms |\n| --- | --- | --- |");
    for (p50, max, query) in rows {
        println!("| `{query}` | {} | {} |", ms(p50), ms(max));
    }
    Ok(())
}

fn ratio(uncached: Duration, cached: Duration) -> String {
    format!("{:.0}×", uncached.as_secs_f64() / cached.as_secs_f64().max(1e-9))
}

/// Measures every search and suggest query `rounds` times against `url` (cache off) and, when
/// given, `cached_url` (cache on, warmed), and prints one table and the ratios.
pub async fn run(
    client: &reqwest::Client,
    url: &str,
    rounds: usize,
    concurrency: usize,
    cached_url: Option<&str>,
) -> anyhow::Result<()> {
    let classes = [
        ("search", "/api/search/products/?", SEARCHES),
        ("suggest", "/api/search/suggest/?q=", SUGGESTS),
    ];
    println!("| endpoint | cache | requests | concurrency | p50 ms | p99 ms | max ms |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut ratios = Vec::new();
    for (name, path, queries) in classes {
        let (n, p50, p99, max) = class_latency(client, url, path, queries, rounds, concurrency).await?;
        println!(
            "| {name} | off | {n} | {concurrency} | {} | {} | {} |",
            ms(p50),
            ms(p99),
            ms(max)
        );
        if let Some(cached_url) = cached_url {
            let (n, c50, c99, cmax) =
                class_latency(client, cached_url, path, queries, rounds, concurrency).await?;
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
    for (_, path, queries) in classes {
        per_query(client, url, path, queries, rounds.min(10)).await?;
    }
    Ok(())
}

/// The search mix against `url` and each `LABEL=URL` of `others` (same database; cache off
/// to compare queries, or all cache on to compare cache hits: every query is sent once to
/// warm each server before it is measured), one query at a time, the servers taking turns request by request so all see the
/// same machine: p50, p99 and max of the whole mix per server, then each query's p50 and max.
pub async fn compare(
    client: &reqwest::Client,
    url: &str,
    others: &[String],
    rounds: usize,
) -> anyhow::Result<()> {
    let servers = servers("this build", url, others)?;
    let path = "/api/search/products/?";
    let mut mix: Vec<Vec<Duration>> = vec![Vec::new(); servers.len()];
    let mut rows = Vec::new();
    for query in SEARCHES {
        let urls: Vec<String> = servers
            .iter()
            .map(|server| format!("{}{path}{query}", server.base))
            .collect();
        // Warm every server (connections, plans, pages) before measuring.
        measure(client, urls.clone(), 1).await?;
        let mut each: Vec<Vec<Duration>> = vec![Vec::new(); servers.len()];
        for _ in 0..rounds.max(1) {
            for (i, url) in urls.iter().enumerate() {
                each[i].extend(measure(client, vec![url.clone()], 1).await?);
            }
        }
        let mut cells = Vec::new();
        for (i, mut latencies) in each.into_iter().enumerate() {
            latencies.sort_unstable();
            cells.push(format!(
                "{} / {}",
                ms(percentile(&latencies, 50.0)),
                ms(latencies.last().copied().unwrap_or_default())
            ));
            mix[i].extend(latencies);
        }
        rows.push((*query, cells));
    }
    println!("\n| search mix, servers in turn | requests | p50 ms | p99 ms | max ms |");
    println!("| --- | --- | --- | --- | --- |");
    for (Server { label, .. }, latencies) in servers.iter().zip(mix.iter_mut()) {
        latencies.sort_unstable();
        println!(
            "| {label} | {} | {} | {} | {} |",
            latencies.len(),
            ms(percentile(latencies, 50.0)),
            ms(percentile(latencies, 99.0)),
            ms(latencies.last().copied().unwrap_or_default())
        );
    }
    let labels: Vec<&str> = servers.iter().map(|server| server.label.as_str()).collect();
    println!("\n| query (p50 / max ms) | {} |", labels.join(" | "));
    println!("| --- |{}", " --- |".repeat(labels.len()));
    for (query, cells) in rows {
        println!("| `{query}` | {} |", cells.join(" | "));
    }
    Ok(())
}
