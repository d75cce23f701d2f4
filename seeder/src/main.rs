//! `seeder`: fills the database with a realistic fake catalogue — the counterpart of Django's
//! `python manage.py seed_data`. One transaction: on failure or Ctrl-C nothing is left behind.

mod generate;
mod progress;
mod words;

use std::process::ExitCode;
use std::time::Instant;

use aforro_adapters::postgres::{PoolSettings, Postgres};
use aforro_adapters::redis::RedisSettings;
use aforro_core::cache::{Cache, Scope};
use aforro_core::catalogue::{seed_catalogue, SeedPlan};
use aforro_core::Error;
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "seeder",
    version,
    about = "Fill the aforro database with fake categories, products, stores and stock",
    long_about = "Fill the aforro database with fake categories, products, stores and stock \
                  (the `python manage.py seed_data` of the Django original). Everything is \
                  written in one transaction. Refuses a database that already has a \
                  catalogue unless --reset is given."
)]
struct Cli {
    /// Number of categories.
    #[arg(long, default_value_t = SeedPlan::default().categories)]
    categories: u32,
    /// Number of products.
    #[arg(long, default_value_t = SeedPlan::default().products)]
    products: u32,
    /// Number of stores.
    #[arg(long, default_value_t = SeedPlan::default().stores)]
    stores: u32,
    /// Distinct products stocked by each store.
    #[arg(long, default_value_t = SeedPlan::default().inventory_per_store)]
    inventory_per_store: u32,
    /// Seed of the random generator: the same seed and sizes give the same data.
    /// Without it a random seed is drawn (and logged).
    #[arg(long, env = "SEED")]
    seed: Option<u64>,
    /// Wipe the catalogue (and the orders referring to it) before seeding.
    #[arg(long, conflicts_with = "if_empty")]
    reset: bool,
    /// Seed only an empty database; a database with a catalogue is left alone (exit 0).
    /// What `scripts/run` uses.
    #[arg(long)]
    if_empty: bool,
    /// PostgreSQL connection URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://aforro:aforro@127.0.0.1:55432/aforro",
        hide_env_values = true
    )]
    database_url: String,
    /// Redis of the running servers: their cached responses are invalidated after a load.
    #[command(flatten)]
    redis: RedisSettings,
}

#[tokio::main]
async fn main() -> ExitCode {
    aforro_adapters::telemetry::init();
    let cli = Cli::parse();
    let plan = SeedPlan {
        categories: cli.categories,
        products: cli.products,
        stores: cli.stores,
        inventory_per_store: cli.inventory_per_store,
    };
    let seed = cli.seed.unwrap_or_else(rand::random);
    tracing::info!(?plan, seed, reset = cli.reset, "seeding");

    let postgres = match Postgres::connect(
        &cli.database_url,
        PoolSettings {
            max_size: 1,
            ..PoolSettings::default()
        },
    ) {
        Ok(postgres) => postgres,
        Err(error) => return fail(&error),
    };
    let started = Instant::now();
    let mut source = generate::FakeCatalogue::new(seed);
    let progress = progress::Bars::default();
    match seed_catalogue(&postgres, &mut source, &plan, cli.reset, &progress).await {
        Ok(report) => {
            let seconds = started.elapsed().as_secs_f64();
            tracing::info!(
                categories = report.categories,
                products = report.products,
                stores = report.stores,
                inventory_rows = report.inventory_rows,
                seconds = format!("{seconds:.1}"),
                rows_per_second = (report.total_rows() as f64 / seconds).round(),
                seed,
                "seeded"
            );
            invalidate_cached_responses(&cli.redis).await;
            ExitCode::SUCCESS
        }
        Err(Error::Conflict(_)) if cli.if_empty => {
            tracing::info!("the database already holds a catalogue; nothing to seed");
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error),
    }
}

/// Every cached response depends on the catalogue version: bumping it retires them all.
/// The load has committed either way, so a failure is reported, not fatal.
async fn invalidate_cached_responses(settings: &RedisSettings) {
    let bumped = match settings.connect() {
        Ok(redis) => redis.bump(&[Scope::Catalogue]).await,
        Err(error) => Err(error),
    };
    match bumped {
        Ok(()) => tracing::info!("cached responses invalidated"),
        Err(error) => tracing::warn!(
            %error,
            "could not invalidate cached responses; running servers may serve the previous \
             catalogue until their entries expire (CACHE_TTL_SECONDS)"
        ),
    }
}

/// Exit codes: 2 invalid sizes, 3 the catalogue is not empty, 1 anything else.
fn fail(error: &Error) -> ExitCode {
    match error {
        Error::Invalid(fields) => {
            for field in fields {
                eprintln!("seeder: --{} {}", field.field.replace('_', "-"), field.message);
            }
            ExitCode::from(2)
        }
        Error::Conflict(message) => {
            eprintln!("seeder: {message}; nothing was changed");
            ExitCode::from(3)
        }
        other => {
            eprintln!("seeder: {other}; nothing was changed");
            ExitCode::FAILURE
        }
    }
}
