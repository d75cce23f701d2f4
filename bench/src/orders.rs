//! `bench orders`: POST /orders/ throughput and latency at several concurrencies, next to
//! the same transaction as plain SQL driven by pgbench against the same database.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::latency::{ms, percentile};

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

/// What the API side measured over one slice of a level.
#[derive(Default)]
struct ApiSlice {
    latencies: Vec<Duration>,
    confirmed: usize,
    errors: usize,
    elapsed: Duration,
}

impl ApiSlice {
    fn add(&mut self, other: ApiSlice) {
        self.latencies.extend(other.latencies);
        self.confirmed += other.confirmed;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
    }
}

/// `clients` concurrent clients placing orders back to back for `duration`. `slice` varies
/// the random orders from one slice to the next.
async fn api_slice(
    client: &reqwest::Client,
    endpoint: &Arc<String>,
    clients: usize,
    duration: Duration,
    slice: u64,
    (stores, products): (u64, u64),
) -> anyhow::Result<ApiSlice> {
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let client = client.clone();
            let endpoint = endpoint.clone();
            let seed = (i as u64 + 1 + slice * 1_000_003).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            tokio::spawn(async move {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed);
                let mut measured = ApiSlice::default();
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
                                measured.confirmed += 1;
                            }
                            measured.latencies.push(started.elapsed());
                        }
                        _ => measured.errors += 1,
                    }
                }
                measured
            })
        })
        .collect();
    let started = Instant::now();
    let mut total = ApiSlice::default();
    for task in tasks {
        total.add(task.await?);
    }
    total.elapsed = started.elapsed().max(duration);
    Ok(total)
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

/// Runs every level against the API and against pgbench (both scripts), and prints one table.
/// Each level alternates the three sides in `slices` rounds of `duration / slices`, so a
/// change in the machine's background load during the run weighs on all sides alike.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    url: &str,
    database_url: &str,
    scripts: &Scripts,
    levels: &[usize],
    duration: Duration,
    slices: u32,
    stores: u64,
    products: u64,
) -> anyhow::Result<()> {
    println!(
        "| clients | API orders/s | pgbench TPS | API / pgbench | pgbench pipelined TPS | API / pipelined \
         | API p50 ms | API p99 ms | orders | confirmed | errors |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let slices = slices.max(1);
    let slice = (duration / slices).max(Duration::from_secs(1));
    let endpoint = Arc::new(format!("{url}/orders/"));
    for &clients in levels {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .build()?;
        let mut api = ApiSlice::default();
        let (mut plain, mut pipelined) = (0.0, 0.0);
        for round in 0..slices {
            api.add(
                api_slice(&client, &endpoint, clients, slice, u64::from(round), (stores, products))
                    .await?,
            );
            plain += pgbench_level(database_url, &scripts.plain, clients, slice, stores, products)?;
            pipelined +=
                pgbench_level(database_url, &scripts.pipelined, clients, slice, stores, products)?;
        }
        let (plain, pipelined) = (plain / f64::from(slices), pipelined / f64::from(slices));
        api.latencies.sort_unstable();
        let orders = api.latencies.len();
        let per_second = orders as f64 / api.elapsed.as_secs_f64();
        println!(
            "| {clients} | {per_second:.0} | {plain:.0} | {:.2} | {pipelined:.0} | {:.2} | {} | {} | {orders} | {} | {} |",
            per_second / plain,
            per_second / pipelined,
            ms(percentile(&api.latencies, 50.0)),
            ms(percentile(&api.latencies, 99.0)),
            api.confirmed,
            api.errors
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pipeline;

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
