//! Logging for every binary (server, worker, seeder): `tracing` to stderr, filtered by `RUST_LOG` (default `info`), as text or as JSON
//! lines (`LOG_FORMAT=json`, for log collectors). Colours only when stderr is a terminal:
//! escape codes in `docker compose logs` or a log file are noise to read and to grep.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
