//! `bench`: load and latency of a running aforro server over loopback. A measuring tool, not
//! a test: it asserts nothing and prints tables (see `scripts/bench-search`,
//! `scripts/bench-orders`).

mod auth;
mod console;
mod latency;
mod movements;
mod orders;
mod search;
mod search_workload;
mod vocabulary;

use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bench",
    version,
    about = "Measure a running aforro server over loopback"
)]
struct Cli {
    /// Base URL of the server.
    #[arg(long, env = "BENCH_URL", default_value = "http://127.0.0.1:8001")]
    url: String,
    /// Threads of the load generator. One by default: it shares the machine's cores with the
    /// server, Postgres and Redis, and a second thread mostly adds cross-thread wake-ups (as
    /// a second HTTP worker does to the server, see `scripts/bench-orders`).
    #[arg(long, env = "BENCH_THREADS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    threads: u16,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The cost of authenticating a staff request (token hash + lookup) next to the cheapest
    /// query the API makes (a primary-key lookup), in-process against the database.
    Auth {
        /// The server's database (migrated; store 1 must exist).
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// Alternating rounds.
        #[arg(long, default_value_t = 10)]
        rounds: usize,
        /// Calls of each kind per round.
        #[arg(long, default_value_t = 1000)]
        per_round: usize,
    },
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
        /// More servers on the same database as `LABEL=URL` (another build, or
        /// other settings): measured in turn with the first, request by request, query by
        /// query, and reported side by side. Repeatable.
        #[arg(long = "compare", value_name = "LABEL=URL")]
        compare: Vec<String>,
    },
    /// Search on a generated workload (`scripts/bench-search`): searches drawn with a fixed
    /// seed from the seeder's vocabulary, with filters, orders and pages, per class.
    SearchWorkload {
        /// Searches measured.
        #[arg(long, default_value_t = 600)]
        searches: usize,
        /// Searches sent first and not counted.
        #[arg(long, default_value_t = 30)]
        warmup: usize,
        /// Seed of the draw.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Stores 1..=N are drawn from.
        #[arg(long, default_value_t = 20)]
        stores: u64,
        /// Categories 1..=N are drawn from (by id or by the seeder's name).
        #[arg(long, default_value_t = 10)]
        categories: usize,
        /// The deepest page drawn (default: the count bound 5,000 ÷ 20 a page).
        #[arg(long, default_value_t = 250)]
        deepest_page: u32,
        /// Name of the server at `--url` in the tables.
        #[arg(long, default_value = "this build")]
        label: String,
        /// More servers on the same database as `LABEL=URL` (other builds), measured in turn
        /// with the first, search by search. Repeatable.
        #[arg(long = "compare", value_name = "LABEL=URL")]
        compare: Vec<String>,
    },
    /// POST /orders/ at each concurrency for `--seconds`, next to pgbench running the same
    /// transaction (bench/order.sql) on the same database.
    Orders {
        /// Concurrent clients, one level after the other.
        #[arg(long, value_delimiter = ',', default_value = "1,8,32,128")]
        clients: Vec<usize>,
        /// Seconds per level, per side and per round.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Rounds per level, each running the API, then pgbench, then pipelined pgbench. The
        /// table reports each side's median and the median (and range) of the rounds'
        /// ratios: on a shared machine the throughput drifts by ±10% from one run to the next.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        rounds: u64,
        /// Stores 1..=N are ordered from.
        #[arg(long, default_value_t = 20)]
        stores: u64,
        /// Products 1..=N are ordered (every store must stock all of them).
        #[arg(long, default_value_t = 2000)]
        products: u64,
        /// The database pgbench drives (the server's).
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The pgbench script: the order transaction, one round trip per statement. Its
        /// pipelined twin (two round trips, as the server sends it) is derived from it.
        #[arg(long, default_value = "bench/order.sql")]
        script: String,
    },
    /// One stock row's movements list (staff only), page by page: the first page, the last
    /// and pages drawn uniformly, per class and overall; with `--compare`, other builds on the
    /// same database taking turns request by request (`scripts/bench-ledger`).
    Movements {
        /// A staff bearer token (`server token create`).
        #[arg(long, env = "BENCH_TOKEN", hide_env_values = true)]
        token: String,
        /// The row's store.
        #[arg(long, default_value_t = 1)]
        store: u64,
        /// The row's product.
        #[arg(long, default_value_t = 1)]
        product: u64,
        /// Items per page (the API allows 1..=100).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=100))]
        page_size: u64,
        /// Rounds, each sending the first page, the last page and `--random-pages` pages.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
        rounds: u64,
        /// Pages drawn uniformly over the list in each round.
        #[arg(long, default_value_t = 10)]
        random_pages: usize,
        /// Seed of the draw (the same for every server).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Name of the server at `--url` in the table.
        #[arg(long, default_value = "this build")]
        label: String,
        /// More servers on the same database as `LABEL=URL` (other builds). Repeatable.
        #[arg(long = "compare", value_name = "LABEL=URL")]
        compare: Vec<String>,
    },
    /// The staff console's pages (overview, a store's stock with and without a title search,
    /// low and out-of-stock filters) on a generated workload, per class (`scripts/bench-console`).
    Console {
        /// A staff token (`server token create`) to sign in with.
        #[arg(long, env = "BENCH_TOKEN", hide_env_values = true)]
        token: String,
        /// Stores 1..=N are drawn from.
        #[arg(long, default_value_t = 20)]
        stores: u64,
        /// Requests measured.
        #[arg(long, default_value_t = 1000)]
        requests: usize,
        /// Requests sent first and not counted.
        #[arg(long, default_value_t = 50)]
        warmup: usize,
        /// Seed of the draw.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// POST /orders/ alone at one concurrency for a while, printing one line (orders/s, p50,
    /// p99, errors): the load of `scripts/bench-pipeline`, which watches the worker meanwhile.
    Load {
        /// Concurrent clients.
        #[arg(long, default_value_t = 32)]
        clients: usize,
        /// Seconds.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Stores 1..=N are ordered from.
        #[arg(long, default_value_t = 20)]
        stores: u64,
        /// Products 1..=N are ordered (every store must stock all of them).
        #[arg(long, default_value_t = 2000)]
        products: u64,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = match cli.threads {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        threads => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.into())
            .enable_all()
            .build()?,
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Auth {
            database_url,
            rounds,
            per_round,
        } => auth::run(&database_url, rounds, per_round).await,
        Command::Search {
            rounds,
            concurrency,
            cached_url,
            compare,
        } => {
            let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
            search::run(&client, &cli.url, rounds, concurrency, cached_url.as_deref()).await?;
            if !compare.is_empty() {
                search::compare(&client, &cli.url, &compare, rounds).await?;
            }
            Ok(())
        }
        Command::SearchWorkload {
            searches,
            warmup,
            seed,
            stores,
            categories,
            deepest_page,
            label,
            compare,
        } => {
            let servers = latency::servers(&label, &cli.url, &compare)?;
            let plan = search_workload::Plan {
                searches,
                warmup,
                seed,
                stores,
                categories,
                deepest_page,
            };
            let client = reqwest::Client::builder().build()?;
            search_workload::run(&client, &servers, &plan).await
        }
        Command::Orders {
            clients,
            seconds,
            rounds,
            stores,
            products,
            database_url,
            script,
        } => {
            let scripts = orders::Scripts::from_plain(&script)?;
            orders::run(
                &cli.url,
                &database_url,
                &scripts,
                &clients,
                Duration::from_secs(seconds),
                rounds as usize,
                stores,
                products,
            )
            .await
        }
        Command::Movements {
            token,
            store,
            product,
            page_size,
            rounds,
            random_pages,
            seed,
            label,
            compare,
        } => {
            let mut headers = reqwest::header::HeaderMap::new();
            let mut bearer = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))?;
            bearer.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, bearer);
            let client = reqwest::Client::builder().default_headers(headers).build()?;
            let plan = movements::Plan {
                store,
                product,
                page_size,
                rounds: rounds as usize,
                random_pages,
                seed,
            };
            movements::run(&client, &label, &cli.url, &compare, &plan).await
        }
        Command::Console {
            token,
            stores,
            requests,
            warmup,
            seed,
        } => {
            let plan = console::Plan {
                token,
                stores,
                requests,
                warmup,
                seed,
            };
            console::run(&cli.url, &plan).await
        }
        Command::Load {
            clients,
            seconds,
            stores,
            products,
        } => orders::load(&cli.url, clients, Duration::from_secs(seconds), stores, products).await,
    }
}
