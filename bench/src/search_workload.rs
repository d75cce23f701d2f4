//! `bench search-workload`: search latency on a generated workload, per class.
//!
//! Searches are drawn with a fixed seed, each combining what a shop's users combine: a text
//! (none, one word, several words, a prefix of three letters or more, a word nothing holds —
//! the words from the seeder's vocabulary), filters (a store, in stock there or anywhere, a
//! price range, a category by id or by name), an order and a page (mostly the first, some
//! deep within the count's bound). A search counts in every class it belongs to, so each
//! filter and each order has its own percentiles. Servers on the same database are measured
//! in turn, search by search, so all see the same machine, and which goes first rotates from
//! one search to the next: the first to send a search reads the pages it needs into
//! Postgres's shared buffers and the others find them there (seed 3, the same two builds: the
//! one always sent first measured p50 8.1 / p99 43.6 ms, sent second 7.5 / 32.0).

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::latency::{ms, percentile, Server};
use crate::vocabulary::{no_match, prefix, word, CATEGORIES};

/// What to draw.
pub struct Plan {
    /// Searches measured.
    pub searches: usize,
    /// Searches sent first (to every server) and not counted.
    pub warmup: usize,
    /// Seed of the draw.
    pub seed: u64,
    /// Stores 1..=N are drawn from.
    pub stores: u64,
    /// Categories 1..=N (named as the seeder names them) are drawn from.
    pub categories: usize,
    /// The deepest page drawn (the count's bound ÷ the page size: pages past the bound answer
    /// with nothing and say so).
    pub deepest_page: u32,
}

/// The classes a search is reported in, in table order.
const CLASSES: [&str; 19] = [
    "text: none",
    "text: one word",
    "text: several words",
    "text: prefix",
    "text: no match",
    "+ store",
    "+ store + in stock",
    "+ in stock, any store",
    "+ out of stock",
    "+ price range",
    "+ category by id",
    "+ category by name",
    "order: default",
    "order: price",
    "order: -price",
    "order: newest",
    "order: relevance",
    "page 2–5",
    "deep page",
];

/// One drawn search: its query string and the classes it belongs to.
pub struct Search {
    pub query: String,
    pub classes: Vec<usize>,
}

fn category_name(index: usize) -> String {
    let (name, _) = CATEGORIES[index % CATEGORIES.len()];
    match index / CATEGORIES.len() {
        0 => name.to_owned(),
        round => format!("{name} {}", round + 1),
    }
}

/// Draws one search.
fn draw(rng: &mut StdRng, plan: &Plan) -> Search {
    let mut params: Vec<String> = Vec::new();
    let mut classes = Vec::new();
    let text = match rng.random_range(0..10) {
        0..=1 => None,
        2..=4 => Some((1, word(rng))),
        5..=6 => {
            let count = rng.random_range(2..=3);
            Some((2, (0..count).map(|_| word(rng)).collect::<Vec<_>>().join(" ")))
        }
        7..=8 => Some((3, prefix(rng))),
        _ => Some((4, no_match(rng))),
    };
    match &text {
        None => classes.push(0),
        Some((class, q)) => {
            classes.push(*class);
            params.push(format!("q={}", q.replace(' ', "+")));
        }
    }
    if rng.random_range(0..10) < 4 {
        params.push(format!("store_id={}", rng.random_range(1..=plan.stores)));
        if rng.random_bool(0.5) {
            params.push("in_stock=true".into());
            classes.push(6);
        } else {
            classes.push(5);
        }
    } else {
        match rng.random_range(0..20) {
            0..=1 => {
                params.push("in_stock=true".into());
                classes.push(7);
            }
            2 => {
                params.push("in_stock=false".into());
                classes.push(8);
            }
            _ => {}
        }
    }
    if rng.random_range(0..4) == 0 {
        let lows = ["0", "1", "2.50", "5", "10"];
        let highs = ["5", "10", "20", "50", "100"];
        let (low, high) = (rng.random_range(0..lows.len()), rng.random_range(0..highs.len()));
        match rng.random_range(0..4) {
            0 => params.push(format!("min_price={}", lows[low])),
            1 => params.push(format!("max_price={}", highs[high])),
            _ => params.push(format!(
                "min_price={}&max_price={}",
                lows[low.min(high)],
                highs[high]
            )),
        }
        classes.push(9);
    }
    if rng.random_range(0..4) == 0 {
        let index = rng.random_range(0..plan.categories.max(1));
        if rng.random_bool(0.5) {
            params.push(format!("category={}", index + 1));
            classes.push(10);
        } else {
            params.push(format!("category={}", category_name(index).replace(' ', "+")));
            classes.push(11);
        }
    }
    match rng.random_range(0..20) {
        0..=10 => classes.push(12),
        11..=13 => {
            params.push("sort=price".into());
            classes.push(13);
        }
        14..=16 => {
            params.push("sort=-price".into());
            classes.push(14);
        }
        17..=18 => {
            params.push("sort=newest".into());
            classes.push(15);
        }
        _ => {
            params.push("sort=relevance".into());
            classes.push(16);
        }
    }
    match rng.random_range(0..10) {
        0..=6 => {}
        7..=8 => {
            params.push(format!("page={}", rng.random_range(2..=5)));
            classes.push(17);
        }
        _ => {
            params.push(format!("page={}", rng.random_range(6..=plan.deepest_page.max(6))));
            classes.push(18);
        }
    }
    Search {
        query: params.join("&"),
        classes,
    }
}

/// The plan's searches, warm-up first.
pub fn searches(plan: &Plan) -> Vec<Search> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    (0..plan.warmup + plan.searches)
        .map(|_| draw(&mut rng, plan))
        .collect()
}

/// Sends every search to every server in turn, the first server of each turn rotating; prints
/// one table per server (each class's p50/p95/p99/max) and the slowest searches of the first.
pub async fn run(client: &reqwest::Client, servers: &[Server], plan: &Plan) -> anyhow::Result<()> {
    let drawn = searches(plan);
    let mut latencies: Vec<Vec<Vec<Duration>>> = vec![vec![Vec::new(); CLASSES.len() + 1]; servers.len()];
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    for (n, search) in drawn.iter().enumerate() {
        for s in (0..servers.len()).map(|k| (n + k) % servers.len()) {
            let server = &servers[s];
            let url = format!("{}/api/search/products/?{}", server.base, search.query);
            let started = Instant::now();
            let response = client.get(&url).send().await.with_context(|| url.clone())?;
            let status = response.status();
            response.bytes().await?;
            let took = started.elapsed();
            if !status.is_success() {
                bail!("{url}: {status}");
            }
            if n < plan.warmup {
                continue;
            }
            for &class in &search.classes {
                latencies[s][class].push(took);
            }
            latencies[s][CLASSES.len()].push(took);
            if s == 0 {
                slowest.push((took, search.query.clone()));
            }
        }
    }
    println!(
        "search workload: {} searches drawn with seed {} (after {} warm-up), one client, servers in turn",
        plan.searches, plan.seed, plan.warmup
    );
    for (Server { label, .. }, classes) in servers.iter().zip(latencies.iter_mut()) {
        println!("\n| {label}: class | n | p50 ms | p95 ms | p99 ms | max ms |");
        println!("| --- | --- | --- | --- | --- | --- |");
        for (name, sorted) in CLASSES.iter().chain(["**all**"].iter()).zip(classes.iter_mut()) {
            sorted.sort_unstable();
            println!(
                "| {name} | {} | {} | {} | {} | {} |",
                sorted.len(),
                ms(percentile(sorted, 50.0)),
                ms(percentile(sorted, 95.0)),
                ms(percentile(sorted, 99.0)),
                ms(sorted.last().copied().unwrap_or_default()),
            );
        }
    }
    slowest.sort_by_key(|(took, _)| std::cmp::Reverse(*took));
    println!("\nslowest searches ({}):", servers[0].label);
    for (took, query) in slowest.iter().take(10) {
        println!("  {} ms  /api/search/products/?{query}", ms(*took));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            searches: 600,
            warmup: 0,
            seed: 1,
            stores: 20,
            categories: 10,
            deepest_page: 250,
        }
    }

    #[test]
    fn the_draw_is_fixed_by_its_seed_and_fills_every_class() {
        let first: Vec<String> = searches(&plan()).into_iter().map(|s| s.query).collect();
        let again: Vec<String> = searches(&plan()).into_iter().map(|s| s.query).collect();
        assert_eq!(first, again);
        let mut counts = [0usize; CLASSES.len()];
        for search in searches(&plan()) {
            for class in search.classes {
                counts[class] += 1;
            }
        }
        for (class, count) in CLASSES.iter().zip(counts) {
            assert!(count >= 10, "{class}: only {count} of 600 searches");
        }
    }
}
