//! `bench orders`: POST /orders/ throughput and latency at several concurrencies, next to
//! the same transaction as plain SQL driven by pgbench against the same database.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::latency::{ms, percentile};

/// What one concurrency level measured.
struct Level {
    per_second: f64,
    /// Of every order answered 201.
    latencies: Vec<Duration>,
    confirmed: usize,
    errors: usize,
}

/// A tiny deterministic generator per client (xorshift): no shared state, no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Orders of two lines, the second product next to the first (as bench/order.sql).
fn body(rng: &mut Rng, stores: u64, products: u64) -> String {
    let store = rng.below(stores) + 1;
    let p1 = rng.below(products) + 1;
    let p2 = p1 % products + 1;
    format!(
        r#"{{"store_id":{store},"items":[{{"product_id":{p1},"quantity_requested":1}},{{"product_id":{p2},"quantity_requested":1}}]}}"#
    )
}

async fn api_level(
    url: &str,
    clients: usize,
    duration: Duration,
    stores: u64,
    products: u64,
) -> anyhow::Result<Level> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let endpoint = Arc::new(format!("{url}/orders/"));
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let client = client.clone();
            let endpoint = endpoint.clone();
            tokio::spawn(async move {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9));
                let (mut latencies, mut confirmed, mut errors) = (Vec::new(), 0usize, 0usize);
                while Instant::now() < deadline {
                    let started = Instant::now();
                    let response = client
                        .post(endpoint.as_str())
                        .header("content-type", "application/json")
                        .body(body(&mut rng, stores, products))
                        .send()
                        .await;
                    match response {
                        Ok(r) if r.status().as_u16() == 201 => {
                            let text = r.text().await.unwrap_or_default();
                            if text.contains("\"CONFIRMED\"") {
                                confirmed += 1;
                            }
                            latencies.push(started.elapsed());
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, confirmed, errors)
            })
        })
        .collect();
    let started = Instant::now();
    let mut latencies = Vec::new();
    let (mut confirmed, mut errors) = (0, 0);
    for task in tasks {
        let (l, c, e) = task.await?;
        latencies.extend(l);
        confirmed += c;
        errors += e;
    }
    let elapsed = started.elapsed().max(duration);
    Ok(Level {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        latencies,
        confirmed,
        errors,
    })
}

/// POST /orders/ at `clients` for `duration`; prints one line.
pub async fn load(
    url: &str,
    clients: usize,
    duration: Duration,
    stores: u64,
    products: u64,
) -> anyhow::Result<()> {
    let mut level = api_level(url, clients, duration, stores, products).await?;
    level.latencies.sort_unstable();
    println!(
        "orders/s {:.0} | p50 ms {} | p99 ms {} | orders {} | confirmed {} | errors {}",
        level.per_second,
        ms(percentile(&level.latencies, 50.0)),
        ms(percentile(&level.latencies, 99.0)),
        level.latencies.len(),
        level.confirmed,
        level.errors,
    );
    Ok(())
}

/// pgbench's TPS (excluding connection set-up) for the script at `clients`.
fn pgbench_level(
    database_url: &str,
    script: &str,
    clients: usize,
    duration: Duration,
    stores: u64,
    products: u64,
) -> anyhow::Result<f64> {
    let output = Command::new("pgbench")
        .args(["--no-vacuum", "--protocol=prepared", "-f", script])
        .args(["-c", &clients.to_string(), "-j", &clients.min(2).to_string()])
        .args(["-T", &duration.as_secs().max(1).to_string()])
        .args([
            "-D",
            &format!("stores={stores}"),
            "-D",
            &format!("products={products}"),
        ])
        .arg(database_url)
        .output()
        .context("pgbench (Debian package postgresql-client)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    text.lines()
        .find_map(|line| {
            let rest = line.strip_prefix("tps = ")?;
            rest.split_whitespace().next()?.parse::<f64>().ok()
        })
        .context("no `tps = ` line in pgbench's output")
}

/// The pgbench scripts the API is compared with.
pub struct Scripts {
    /// The order transaction statement by statement (one round trip each).
    pub plain: String,
    /// The same statements pipelined as the server sends them (BEGIN with the lock, COMMIT
    /// with the order statement), derived from the plain one by [`Scripts::from_plain`].
    pub pipelined: String,
}

impl Scripts {
    /// The plain script at `path` and its pipelined twin, written to a temporary file. Derived,
    /// not kept as a second script, so that the two cannot drift apart.
    pub fn from_plain(path: &str) -> anyhow::Result<Self> {
        let plain = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        let pipelined_path =
            std::env::temp_dir().join(format!("aforro-order-pipelined-{}.sql", std::process::id()));
        std::fs::write(&pipelined_path, pipeline(&plain)?)?;
        Ok(Self {
            plain: path.to_owned(),
            pipelined: pipelined_path.to_string_lossy().into_owned(),
        })
    }
}

/// `script` with its first two and its last two SQL statements each sent as one pipeline.
fn pipeline(script: &str) -> anyhow::Result<String> {
    // (first line, last line) of each SQL statement: it starts on a line that is not blank, a
    // comment or a meta-command, and ends on the line ending with `;`.
    let lines: Vec<&str> = script.lines().collect();
    let mut statements: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        if start.is_none() && !line.is_empty() && !line.starts_with("--") && !line.starts_with('\\') {
            start = Some(i);
        }
        if let (Some(first), true) = (start, line.ends_with(';')) {
            statements.push((first, i));
            start = None;
        }
    }
    let [(begin, _), (_, lock_end), .., (order_start, _), (commit, commit_end)] = statements[..] else {
        bail!("the order script needs BEGIN, the lock, the order statement and COMMIT");
    };
    if lines[begin].trim() != "BEGIN;" || lines[commit].trim() != "COMMIT;" {
        bail!("the order script must start with BEGIN; and end with COMMIT;");
    }
    let mut out = Vec::with_capacity(lines.len() + 4);
    for (i, line) in lines.iter().enumerate() {
        if i == begin || i == order_start {
            out.push("\\startpipeline");
        }
        out.push(line);
        if i == lock_end || i == commit_end {
            out.push("\\endpipeline");
        }
    }
    Ok(out.join("\n") + "\n")
}

/// The median of `values` (the lower middle one for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0.0)
}

/// A ratio cell: the median of the rounds' ratios, with their range when there are several.
fn ratio_cell(ratios: &[f64]) -> String {
    let (low, high) = ratios.iter().fold((f64::INFINITY, 0.0_f64), |(low, high), &r| {
        (low.min(r), high.max(r))
    });
    if ratios.len() > 1 {
        format!("{:.2} ({low:.2}–{high:.2})", median(ratios))
    } else {
        format!("{:.2}", median(ratios))
    }
}

/// Runs every level against the API and against pgbench (both scripts), `rounds` times
/// each, alternating, and prints one table.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    url: &str,
    database_url: &str,
    scripts: &Scripts,
    levels: &[usize],
    duration: Duration,
    rounds: usize,
    stores: u64,
    products: u64,
) -> anyhow::Result<()> {
    println!(
        "| clients | API orders/s | pgbench TPS | API / pgbench | pgbench pipelined TPS | API / pipelined \
         | API p50 ms | API p99 ms | orders | confirmed | errors |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for &clients in levels {
        let (mut api_rates, mut plain_rates, mut pipelined_rates) = (Vec::new(), Vec::new(), Vec::new());
        let (mut plain_ratios, mut pipelined_ratios) = (Vec::new(), Vec::new());
        let (mut latencies, mut confirmed, mut errors) = (Vec::new(), 0, 0);
        for _ in 0..rounds {
            let api = api_level(url, clients, duration, stores, products).await?;
            let plain = pgbench_level(database_url, &scripts.plain, clients, duration, stores, products)?;
            let pipelined = pgbench_level(
                database_url,
                &scripts.pipelined,
                clients,
                duration,
                stores,
                products,
            )?;
            plain_ratios.push(api.per_second / plain);
            pipelined_ratios.push(api.per_second / pipelined);
            api_rates.push(api.per_second);
            plain_rates.push(plain);
            pipelined_rates.push(pipelined);
            latencies.extend(api.latencies);
            confirmed += api.confirmed;
            errors += api.errors;
        }
        latencies.sort_unstable();
        println!(
            "| {clients} | {:.0} | {:.0} | {} | {:.0} | {} | {} | {} | {} | {confirmed} | {errors} |",
            median(&api_rates),
            median(&plain_rates),
            ratio_cell(&plain_ratios),
            median(&pipelined_rates),
            ratio_cell(&pipelined_ratios),
            ms(percentile(&latencies, 50.0)),
            ms(percentile(&latencies, 99.0)),
            latencies.len(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{median, pipeline, ratio_cell};

    #[test]
    fn reports_the_median_ratio_with_the_range_of_the_rounds() {
        assert_eq!(median(&[0.9, 0.7, 0.8]), 0.8);
        assert_eq!(median(&[0.9, 0.7]), 0.7);
        assert_eq!(ratio_cell(&[0.83, 0.69, 0.74]), "0.74 (0.69–0.83)");
        assert_eq!(ratio_cell(&[0.74]), "0.74");
    }

    #[test]
    fn pipelines_begin_with_the_lock_and_commit_with_the_order_statement() {
        let plain = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/order.sql")).unwrap();
        let pipelined = pipeline(&plain).unwrap();
        let shape: Vec<&str> = pipelined
            .lines()
            .filter(|l| l.contains("pipeline") && l.starts_with('\\') || *l == "BEGIN;" || *l == "COMMIT;")
            .collect();
        assert_eq!(
            shape,
            [
                "\\startpipeline",
                "BEGIN;",
                "\\endpipeline",
                "\\startpipeline",
                "COMMIT;",
                "\\endpipeline"
            ]
        );
        assert!(
            pipelined.contains("::bigint[]);\n\\endpipeline\n\\startpipeline\nWITH line AS ("),
            "the first pipeline ends after the lock, the second starts at the order statement:\n{pipelined}"
        );
        assert!(pipeline("SELECT 1;").is_err());
    }
}
