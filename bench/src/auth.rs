//! The cost of authenticating a staff request, measured in-process against the real database:
//! `authenticate` (SHA-256 of the token + one lookup by its unique hash, as every staff write
//! does before anything else) next to `store_exists` (one primary-key lookup, the cheapest
//! query the API makes), alternating in rounds so both see the same machine. Orders and the
//! other public endpoints never authenticate: this cost is only on staff writes.

use std::time::{Duration, Instant};

use aforro_adapters::postgres::{PoolSettings, Postgres};
use aforro_core::auth;
use aforro_core::stores::StoreRepository;
use aforro_core::StoreId;
use anyhow::Context;

use crate::latency::{ms, percentile};

/// Runs `rounds` rounds of `per_round` calls of each, one connection, one caller at a time.
pub async fn run(database_url: &str, rounds: usize, per_round: usize) -> anyhow::Result<()> {
    let postgres = Postgres::connect(
        database_url,
        PoolSettings {
            max_size: 1,
            ..PoolSettings::default()
        },
    )?;
    let name = format!("bench-auth-{}", std::process::id());
    let store = StoreId::new(1).context("store id")?;
    let (_, secret) = auth::create_token(&postgres, &postgres, &name, &[], rand::random())
        .await
        .context("create a token (is the database migrated and seeded?)")?;
    let token = secret.reveal().to_owned();

    let (mut authenticate, mut lookup) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for _ in 0..per_round {
            let started = Instant::now();
            auth::authenticate(&postgres, Some(&token), chrono::Utc::now()).await?;
            authenticate.push(started.elapsed());
        }
        for _ in 0..per_round {
            let started = Instant::now();
            postgres.store_exists(store).await?;
            lookup.push(started.elapsed());
        }
    }
    auth::revoke_token(&postgres, &name, chrono::Utc::now()).await?;

    authenticate.sort_unstable();
    lookup.sort_unstable();
    println!("{:<34} {:>9} {:>9} {:>9}", "per call (ms)", "p50", "p90", "p99");
    for (label, sorted) in [
        ("authenticate (sha256 + lookup)", &authenticate),
        ("store_exists (primary key)", &lookup),
    ] {
        println!(
            "{label:<34} {:>9} {:>9} {:>9}",
            ms(percentile(sorted, 50.0)),
            ms(percentile(sorted, 90.0)),
            ms(percentile(sorted, 99.0))
        );
    }
    let ratio = |p: f64| ratio(percentile(&authenticate, p), percentile(&lookup, p));
    println!(
        "authenticate / primary-key lookup: p50 {:.2}x, p99 {:.2}x ({} calls each)",
        ratio(50.0),
        ratio(99.0),
        authenticate.len()
    );
    Ok(())
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(f64::MIN_POSITIVE)
}
