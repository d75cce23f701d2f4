//! Schema migrations, embedded in the binary from the workspace's `migrations/` folder.

use aforro_core::{Error, Result};
use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Applies every pending migration and returns the versions applied (empty when up to date).
///
/// diesel's migration harness is synchronous: it runs on a blocking thread through
/// diesel-async's `AsyncConnectionWrapper`, which works under any tokio runtime flavour.
pub async fn run_migrations(database_url: &str) -> Result<Vec<String>> {
    let url = database_url.to_string();
    tokio::task::spawn_blocking(move || -> Result<Vec<String>> {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .map_err(|e| Error::Unavailable(Box::new(e)))?;
        let applied = conn.run_pending_migrations(MIGRATIONS).map_err(Error::Internal)?;
        Ok(applied.iter().map(ToString::to_string).collect())
    })
    .await
    .map_err(|e| Error::Internal(Box::new(e)))?
}
