//! `server`: runs the aforro HTTP API, or applies database migrations.

use std::time::Duration;

use aforro_adapters::postgres::{run_migrations_with, MigrationSettings, PoolSettings, Postgres};
use aforro_adapters::telemetry;
use aforro_server::app::Application;
use aforro_server::config::Settings;
use aforro_server::openapi::ApiDoc;
use aforro_server::state::AppState;
use aforro_server::tokens::{self, TokenCommand};
use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use utoipa::OpenApi;

#[derive(Parser)]
#[command(name = "server", version, about = "aforro HTTP API (actix-web)")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default). Does not migrate: run `server migrate` first.
    Serve,
    /// Apply pending database migrations, then exit. Each waits at most
    /// `MIGRATION_LOCK_TIMEOUT_MS` for a lock (never queueing the shop's writes longer) and is
    /// tried again after a pause, up to `MIGRATION_ATTEMPTS` times.
    Migrate {
        /// The longest a migration waits for a lock before it gives up and tries again.
        #[arg(long, env = "MIGRATION_LOCK_TIMEOUT_MS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=600_000))]
        lock_timeout_ms: u64,
        /// Attempts per migration before `migrate` fails (nothing of that migration applied).
        #[arg(long, env = "MIGRATION_ATTEMPTS", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
        attempts: u32,
    },
    /// Print the OpenAPI 3.1 document (the one `GET /openapi.json` serves) and exit: for
    /// validators and client generators, without a database or a running server.
    Openapi,
    /// Manage staff bearer tokens (the credentials of every write).
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
}

/// The command line, with every option global: accepted before or after the subcommand
/// (`server serve --metrics-bind …` and `server --metrics-bind … serve` alike).
fn parse_command_line() -> Cli {
    let matches = Cli::command().mut_args(|arg| arg.global(true)).get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let cli = parse_command_line();
    match cli.command {
        Some(Command::Migrate {
            lock_timeout_ms,
            attempts,
        }) => {
            let settings = MigrationSettings {
                lock_timeout: Duration::from_millis(lock_timeout_ms),
                attempts,
                ..MigrationSettings::default()
            };
            let applied = run_migrations_with(&cli.settings.database.database_url, settings)
                .await
                .context("migrations failed")?;
            tracing::info!(count = applied.len(), ?applied, "migrations applied");
        }
        Some(Command::Openapi) => {
            println!("{}", ApiDoc::openapi().to_pretty_json()?);
        }
        Some(Command::Token { action }) => {
            let postgres = Postgres::connect(&cli.settings.database.database_url, PoolSettings::default())?;
            tokens::run(action, &postgres).await?;
        }
        None | Some(Command::Serve) => {
            let state = AppState::from_settings(&cli.settings)?;
            let app = Application::build(&cli.settings, state)
                .with_context(|| format!("cannot listen on {}", cli.settings.bind))?;
            tracing::info!(bind = %cli.settings.bind, port = app.port(), "serving");
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
    }
    Ok(())
}
