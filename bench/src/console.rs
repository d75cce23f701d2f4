//! `bench console`: how long the staff console's pages take at scale, on a generated workload.
//!
//! One signed-in client (a catalogue token) sends requests drawn with a fixed seed: the
//! overview; a store's stock page (a random store, page and sort); the same page searched by
//! title — one word, two words, a prefix of three or more letters, a word that matches
//! nothing — drawn from the seeder's own vocabulary, half of them with another order, a level
//! or a later page; and the low and out-of-stock filters.
//! Latency is measured per class and overall (client side, over loopback).

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::latency::{ms, percentile};
use crate::vocabulary::{no_match, prefix, word};

/// What to measure.
pub struct Plan {
    /// A staff token to sign in with.
    pub token: String,
    /// Stores 1..=N are drawn from.
    pub stores: u64,
    /// Requests in all (drawn; the first `warmup` are not counted).
    pub requests: usize,
    /// Requests sent before measuring.
    pub warmup: usize,
    /// Seed of the draw.
    pub seed: u64,
}

const CLASSES: [&str; 8] = [
    "overview",
    "stock page",
    "title: one word",
    "title: two words",
    "title: prefix",
    "title: no match",
    "low stock",
    "out of stock",
];

/// A page number as staff reach them: mostly the first, sometimes a few pages on.
fn page_number(rng: &mut StdRng) -> u32 {
    match rng.random_range(0..10) {
        0..=5 => 1,
        6..=8 => rng.random_range(2..=5),
        _ => rng.random_range(6..=20),
    }
}

/// What a title search is combined with: half the time nothing, else some of another order,
/// a level and a later page.
fn title_extras(rng: &mut StdRng) -> String {
    let mut extras = String::new();
    if rng.random_range(0..2) == 0 {
        return extras;
    }
    if rng.random_range(0..2) == 0 {
        extras += ["&sort=quantity", "&sort=-quantity"][rng.random_range(0..2)];
    }
    if rng.random_range(0..3) == 0 {
        extras += ["&stock=low", "&stock=out"][rng.random_range(0..2)];
    }
    let page = page_number(rng);
    if page > 1 {
        extras += &format!("&page={page}");
    }
    extras
}

fn draw(rng: &mut StdRng, stores: u64) -> (usize, String) {
    let class = rng.random_range(0..CLASSES.len());
    let store = rng.random_range(1..=stores);
    let sorts = ["title", "quantity", "-quantity"];
    let sort = sorts[rng.random_range(0..sorts.len())];
    let page = page_number(rng);
    let base = format!("/console/stores/{store}/");
    let path = match class {
        0 => "/console/".to_owned(),
        1 => format!("{base}?sort={sort}&page={page}"),
        2 => format!("{base}?q={}{}", word(rng), title_extras(rng)),
        3 => format!("{base}?q={}+{}{}", word(rng), word(rng), title_extras(rng)),
        4 => format!("{base}?q={}{}", prefix(rng), title_extras(rng)),
        5 => format!("{base}?q={}{}", no_match(rng), title_extras(rng)),
        6 => format!("{base}?stock=low&sort={sort}"),
        _ => format!("{base}?stock=out&sort={sort}&page={}", page.min(3)),
    };
    (class, path)
}

/// Signs in and runs the plan; prints one table.
pub async fn run(base: &str, plan: &Plan) -> anyhow::Result<()> {
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let response = plain
        .post(format!("{base}/console/login"))
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("token={}", plan.token))
        .send()
        .await?;
    let cookie = response
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .context("sign-in set no cookie: is the token right?")?
        .to_str()?
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut headers = reqwest::header::HeaderMap::new();
    let mut value = reqwest::header::HeaderValue::from_str(&cookie)?;
    value.set_sensitive(true);
    headers.insert(reqwest::header::COOKIE, value);
    let client = reqwest::Client::builder().default_headers(headers).build()?;

    let mut rng = StdRng::seed_from_u64(plan.seed);
    let mut by_class: Vec<Vec<Duration>> = vec![Vec::new(); CLASSES.len()];
    // Title searches (classes 2–5) as the page first shows them (by title, every level, page
    // 1), and with another order, a level or a later page.
    let mut searches: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    for i in 0..plan.warmup + plan.requests {
        let (class, path) = draw(&mut rng, plan.stores);
        let started = Instant::now();
        let response = client.get(format!("{base}{path}")).send().await?;
        let status = response.status();
        response.bytes().await?;
        let took = started.elapsed();
        if !status.is_success() {
            bail!("{path}: {status}");
        }
        if i >= plan.warmup {
            by_class[class].push(took);
            if (2..=5).contains(&class) {
                let combined = path.contains("&sort=") || path.contains("&stock=") || path.contains("&page=");
                searches[usize::from(combined)].push(took);
            }
            slowest.push((took, path));
        }
    }
    println!(
        "console pages: {} requests (after {} warm-up), one client",
        plan.requests, plan.warmup
    );
    println!("| class | n | p50 ms | p95 ms | p99 ms | max ms |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let mut all = Vec::new();
    for (class, latencies) in CLASSES.iter().zip(by_class.iter_mut()) {
        latencies.sort_unstable();
        all.extend_from_slice(latencies);
        print_row(class, latencies);
    }
    all.sort_unstable();
    print_row("**all**", &all);
    for (label, latencies) in [
        "title searches alone",
        "title searches with an order, level or page",
    ]
    .iter()
    .zip(searches.iter_mut())
    {
        latencies.sort_unstable();
        print_row(label, latencies);
    }
    slowest.sort_by_key(|(took, _)| std::cmp::Reverse(*took));
    println!("\nslowest requests:");
    for (took, path) in slowest.iter().take(10) {
        println!("  {} ms  {path}", ms(*took));
    }
    Ok(())
}

fn print_row(label: &str, sorted: &[Duration]) {
    println!(
        "| {label} | {} | {} | {} | {} | {} |",
        sorted.len(),
        ms(percentile(sorted, 50.0)),
        ms(percentile(sorted, 95.0)),
        ms(percentile(sorted, 99.0)),
        ms(sorted.last().copied().unwrap_or_default()),
    );
}
