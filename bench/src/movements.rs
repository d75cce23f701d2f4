//! `bench movements`: latency of one stock row's movements list, page by page, against one
//! server or several builds on the same database taking turns (see `scripts/bench-ledger`).
//!
//! The cost of a page depends on where it is: a list read newest first through an index is
//! cheap near the top and, if it skips rows to get to a page (OFFSET), dearer the deeper the
//! page. So the pages are measured in three classes — the first, the last, and pages drawn
//! uniformly over the whole list — and reported per class as well as overall.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::latency::{ms, percentile, servers, Server};

/// What to measure: one row's list, how many times, with which pages.
pub struct Plan {
    pub store: u64,
    pub product: u64,
    pub page_size: u64,
    /// Rounds; each sends the first page, the last page and `random_pages` drawn pages.
    pub rounds: usize,
    pub random_pages: usize,
    /// Seed of the page draw: the same seed gives every server, and every run, the same pages.
    pub seed: u64,
}

const CLASSES: [&str; 3] = ["first", "last", "random"];

/// One request's page and class (an index into `CLASSES`).
#[derive(Clone, Copy)]
struct Request {
    page: u64,
    class: usize,
}

impl Plan {
    fn url(&self, server: &Server, page: u64) -> String {
        format!(
            "{}/stores/{}/inventory/{}/movements/?page={page}&page_size={}",
            server.base, self.store, self.product, self.page_size
        )
    }

    /// Items a page must hold when the list has `count` of them.
    fn expected_items(&self, count: u64, page: u64) -> u64 {
        count
            .saturating_sub((page - 1) * self.page_size)
            .min(self.page_size)
    }

    /// Every round's requests, in the order they are sent.
    fn requests(&self, total_pages: u64) -> Vec<Vec<Request>> {
        let mut rng = StdRng::seed_from_u64(self.seed);
        (0..self.rounds)
            .map(|_| {
                let mut round = vec![
                    Request { page: 1, class: 0 },
                    Request {
                        page: total_pages,
                        class: 1,
                    },
                ];
                round.extend((0..self.random_pages).map(|_| Request {
                    page: rng.random_range(1..=total_pages),
                    class: 2,
                }));
                round
            })
            .collect()
    }
}

/// The parts of a page the bench checks.
struct PageSummary {
    count: u64,
    total_pages: u64,
    items: u64,
}

/// One GET, timed from sending the request to the last byte of the body; the body is checked
/// after the clock stops.
async fn get_page(client: &reqwest::Client, url: &str) -> anyhow::Result<(Duration, PageSummary)> {
    let started = Instant::now();
    let response = client.get(url).send().await.with_context(|| url.to_owned())?;
    let status = response.status();
    let body = response.bytes().await?;
    let elapsed = started.elapsed();
    if !status.is_success() {
        bail!("{url}: {status}: {}", String::from_utf8_lossy(&body));
    }
    let json: serde_json::Value = serde_json::from_slice(&body).with_context(|| url.to_owned())?;
    let number = |field: &str| {
        json[field]
            .as_u64()
            .with_context(|| format!("{url}: no `{field}` in the page"))
    };
    let items = json["results"]
        .as_array()
        .with_context(|| format!("{url}: no `results` in the page"))?
        .len() as u64;
    Ok((
        elapsed,
        PageSummary {
            count: number("count")?,
            total_pages: number("total_pages")?,
            items,
        },
    ))
}

/// Measures the plan against `url` (labelled `label`) and each `LABEL=URL` of `compare`,
/// servers taking turns request by request so that all see the same machine, and prints one
/// table: p50, p95, p99 and max per server and class, and over all classes.
pub async fn run(
    client: &reqwest::Client,
    label: &str,
    url: &str,
    compare: &[String],
    plan: &Plan,
) -> anyhow::Result<()> {
    let servers = servers(label, url, compare)?;
    // Every server must list the same movements: otherwise "the last page" is not the same
    // page, and the builds are not reading the same data.
    let mut firsts = Vec::new();
    for server in &servers {
        firsts.push(get_page(client, &plan.url(server, 1)).await?.1);
    }
    let (count, total_pages) = (firsts[0].count, firsts[0].total_pages);
    for (server, first) in servers.iter().zip(&firsts).skip(1) {
        ensure!(
            first.count == count,
            "{} lists {} movements and {} lists {count}: not the same data",
            server.label,
            first.count,
            servers[0].label
        );
    }
    ensure!(total_pages >= 1, "the row has no movements");
    println!(
        "Row: store {}, product {}: {count} movements, {total_pages} pages of {}; {} rounds of \
         first + last + {} random pages (seed {}), {} server(s) in turn",
        plan.store,
        plan.product,
        plan.page_size,
        plan.rounds,
        plan.random_pages,
        plan.seed,
        servers.len()
    );

    let rounds = plan.requests(total_pages);
    // The first round once unmeasured: connections, plans and the row's pages warm on every
    // server.
    for request in rounds.first().into_iter().flatten() {
        for server in &servers {
            checked_page(client, plan, server, count, request.page).await?;
        }
    }
    let mut latencies = vec![vec![Vec::<Duration>::new(); CLASSES.len()]; servers.len()];
    for (i, request) in rounds.iter().flatten().enumerate() {
        // Each request goes to every server, a different one first each time: the first to
        // read a page may warm caches for the next.
        for k in 0..servers.len() {
            let s = (i + k) % servers.len();
            let elapsed = checked_page(client, plan, &servers[s], count, request.page).await?;
            latencies[s][request.class].push(elapsed);
        }
    }
    print_table(&servers, latencies);
    Ok(())
}

/// One page, which must hold the items its number calls for: a fast wrong answer is no figure.
async fn checked_page(
    client: &reqwest::Client,
    plan: &Plan,
    server: &Server,
    count: u64,
    page: u64,
) -> anyhow::Result<Duration> {
    let (elapsed, summary) = get_page(client, &plan.url(server, page)).await?;
    let expected = plan.expected_items(count, page);
    ensure!(
        summary.items == expected && summary.count == count,
        "{}: page {page} has {} items of {} (expected {expected} of {count})",
        server.label,
        summary.items,
        summary.count
    );
    Ok(elapsed)
}

fn print_table(servers: &[Server], mut latencies: Vec<Vec<Vec<Duration>>>) {
    println!("\n| server | pages | requests | p50 ms | p95 ms | p99 ms | max ms |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let row = |label: &str, class: &str, sorted: &[Duration]| {
        println!(
            "| {label} | {class} | {} | {} | {} | {} | {} |",
            sorted.len(),
            ms(percentile(sorted, 50.0)),
            ms(percentile(sorted, 95.0)),
            ms(percentile(sorted, 99.0)),
            ms(sorted.last().copied().unwrap_or_default())
        );
    };
    for (server, classes) in servers.iter().zip(latencies.iter_mut()) {
        let mut all = Vec::new();
        for (class, sorted) in CLASSES.iter().zip(classes.iter_mut()) {
            sorted.sort_unstable();
            row(&server.label, class, sorted);
            all.extend_from_slice(sorted);
        }
        all.sort_unstable();
        row(&server.label, "all", &all);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            store: 1,
            product: 1,
            page_size: 50,
            rounds: 3,
            random_pages: 4,
            seed: 7,
        }
    }

    #[test]
    fn every_round_has_the_first_and_last_page_and_random_ones_in_range() {
        let rounds = plan().requests(2000);
        assert_eq!(rounds.len(), 3);
        for round in &rounds {
            assert_eq!((round[0].page, round[0].class), (1, 0));
            assert_eq!((round[1].page, round[1].class), (2000, 1));
            assert_eq!(round.len(), 6);
            assert!(round[2..]
                .iter()
                .all(|r| r.class == 2 && (1..=2000).contains(&r.page)));
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_pages() {
        let pages =
            |plan: &Plan| -> Vec<u64> { plan.requests(2000).iter().flatten().map(|r| r.page).collect() };
        assert_eq!(pages(&plan()), pages(&plan()));
    }

    #[test]
    fn the_last_page_holds_the_remainder() {
        let plan = plan();
        assert_eq!(plan.expected_items(120, 1), 50);
        assert_eq!(plan.expected_items(120, 3), 20);
        assert_eq!(plan.expected_items(100, 2), 50);
    }
}
