//! `server`: runs the aforro HTTP API, or applies database migrations.

use aforro_adapters::postgres::{run_migrations, PoolSettings, Postgres};
use aforro_adapters::telemetry;
use aforro_server::app::{AppState, Application};
use aforro_server::config::{DatabaseSettings, Settings};
use aforro_server::openapi::ApiDoc;
use aforro_server::tokens::{self, TokenCommand};
use anyhow::Context;
use clap::{Parser, Subcommand};
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
    /// Apply pending database migrations, then exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Print the OpenAPI 3.1 document (the one `GET /openapi.json` serves) and exit: for
    /// validators and client generators, without a database or a running server.
    Openapi,
    /// Manage staff bearer tokens (the credentials of every write).
    Token {
        #[command(subcommand)]
        action: TokenCommand,
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Migrate { database }) => {
            let applied = run_migrations(&database.database_url)
                .await
                .context("migrations failed")?;
            tracing::info!(count = applied.len(), ?applied, "migrations applied");
        }
        Some(Command::Openapi) => {
            println!("{}", ApiDoc::openapi().to_pretty_json()?);
        }
        Some(Command::Token { action, database }) => {
            let postgres = Postgres::connect(&database.database_url, PoolSettings::default())?;
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
