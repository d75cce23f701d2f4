//! Schema migrations, embedded in the binary from the workspace's `migrations/` folder.
//!
//! Applied one at a time, each in its own transaction unless its `metadata.toml` says
//! otherwise (an index built `CONCURRENTLY`), on a session with a short `lock_timeout`: a
//! migration that has to wait for a lock gives up after [`MigrationSettings::lock_timeout`]
//! instead of queueing the shop's writes behind its request, and is tried again after a
//! pause, up to [`MigrationSettings::attempts`] times. A migration that gives up leaves
//! nothing of itself: its transaction rolls back, and the INVALID index a failed
//! `CREATE INDEX CONCURRENTLY` leaves behind is dropped before the next attempt. The ones
//! applied before it stay applied; the next `server migrate` goes on from there. Two
//! `server migrate` started at once take turns (an advisory lock): the second finds nothing
//! left to do.

use std::time::Duration;

use aforro_core::{Error, Result};
use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// How long a migration waits for its locks, and how often it tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationSettings {
    /// The session's `lock_timeout`: the longest a migration waits for a lock, and so the
    /// longest a write queued behind its lock request waits because of it.
    pub lock_timeout: Duration,
    /// Attempts per migration before `server migrate` gives up (at least 1).
    pub attempts: u32,
    /// Pause after the first attempt that timed out; doubled after each, up to 5 s.
    pub first_pause: Duration,
}

impl Default for MigrationSettings {
    fn default() -> Self {
        Self {
            lock_timeout: Duration::from_millis(100),
            attempts: 20,
            first_pause: Duration::from_millis(200),
        }
    }
}

/// The advisory lock that makes concurrent `server migrate` runs take turns (an arbitrary
/// constant: "aforro-migrate" would not fit in a bigint).
const MIGRATE_LOCK_KEY: i64 = 0x0af0_0031;

/// The longest pause between two attempts of one migration.
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// A migration that never got its lock within the timeout, after every attempt.
#[derive(Debug, thiserror::Error)]
#[error(
    "migration {version} could not take its locks within {lock_timeout_ms} ms in {attempts} attempts \
     (long transactions hold them): nothing of it was applied; run `server migrate` again later"
)]
pub struct MigrationLockTimeout {
    /// The migration that gave up.
    pub version: String,
    /// The lock timeout each attempt had.
    pub lock_timeout_ms: u128,
    /// How many attempts it made.
    pub attempts: u32,
}

/// Applies every pending migration with the default [`MigrationSettings`]; returns the
/// versions applied (empty when up to date).
pub async fn run_migrations(database_url: &str) -> Result<Vec<String>> {
    run_migrations_with(database_url, MigrationSettings::default()).await
}

/// Applies every pending migration (see the module's documentation); returns the versions
/// applied. On error, the migrations applied before the failing one stay applied.
///
/// diesel's migration harness is synchronous: it runs on a blocking thread through
/// diesel-async's `AsyncConnectionWrapper`, which works under any tokio runtime flavour.
pub async fn run_migrations_with(database_url: &str, settings: MigrationSettings) -> Result<Vec<String>> {
    let url = database_url.to_string();
    tokio::task::spawn_blocking(move || -> Result<Vec<String>> {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .map_err(|e| Error::Unavailable(Box::new(e)))?;
        conn.batch_execute(&format!(
            "SET application_name = 'aforro migrate'; SET lock_timeout = '{}ms'",
            settings.lock_timeout.as_millis().max(1)
        ))
        .map_err(|e| Error::Unavailable(Box::new(e)))?;
        take_turn(&mut conn)?;
        apply_pending(&mut conn, settings)
    })
    .await
    .map_err(|e| Error::Internal(Box::new(e)))?
}

type Conn = AsyncConnectionWrapper<AsyncPgConnection>;

fn apply_pending(conn: &mut Conn, settings: MigrationSettings) -> Result<Vec<String>> {
    let mut applied = Vec::new();
    let mut attempt = 1;
    let mut pause = settings.first_pause;
    while let Some(version) = next_pending(conn)? {
        let result = drop_invalid_indexes(conn).and_then(|()| conn.run_next_migration(MIGRATIONS));
        match result {
            Ok(done) => {
                tracing::info!(version = %done, attempt, "migration applied");
                applied.push(done.to_string());
                (attempt, pause) = (1, settings.first_pause);
            }
            Err(error) if is_lock_timeout(error.as_ref()) => {
                if attempt >= settings.attempts.max(1) {
                    return Err(Error::Unavailable(Box::new(MigrationLockTimeout {
                        version,
                        lock_timeout_ms: settings.lock_timeout.as_millis(),
                        attempts: attempt,
                    })));
                }
                tracing::warn!(
                    %version,
                    attempt,
                    attempts = settings.attempts,
                    lock_timeout_ms = settings.lock_timeout.as_millis() as u64,
                    retry_in_ms = pause.as_millis() as u64,
                    "migration could not take its lock in time; nothing of it applied, trying again"
                );
                std::thread::sleep(pause);
                attempt += 1;
                pause = (pause * 2).min(MAX_PAUSE);
            }
            Err(error) => return Err(Error::Internal(error)),
        }
    }
    Ok(applied)
}

/// The version of the next migration to apply, if any.
fn next_pending(conn: &mut Conn) -> Result<Option<String>> {
    let pending = conn.pending_migrations(MIGRATIONS).map_err(Error::Internal)?;
    Ok(pending.first().map(|m| m.name().version().to_string()))
}

/// Whether `error` is Postgres cancelling a statement on `lock_timeout` (SQLSTATE 55P03).
/// diesel keeps the server's message, not its code.
fn is_lock_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(error) = source {
        if error.to_string().contains("lock timeout") {
            return true;
        }
        source = error.source();
    }
    false
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

/// Waits until no other `server migrate` runs on this database, then holds the advisory lock
/// [`MIGRATE_LOCK_KEY`] until the connection closes: a second `server migrate` started at once
/// waits for the first, then finds nothing pending.
///
/// It polls `pg_try_advisory_lock` rather than waiting in `pg_advisory_lock`: a session waiting
/// inside a statement holds a snapshot, and the other's `CREATE INDEX CONCURRENTLY` waits for
/// every older snapshot in the database, so the two would wait on each other until the
/// lock_timeout.
fn take_turn(conn: &mut Conn) -> Result<()> {
    let mut said = false;
    loop {
        let row: Locked = diesel::sql_query(format!(
            "SELECT pg_try_advisory_lock({MIGRATE_LOCK_KEY}) AS locked"
        ))
        .get_result(conn)
        .map_err(|e| Error::Unavailable(Box::new(e)))?;
        if row.locked {
            return Ok(());
        }
        if !said {
            tracing::info!("another `server migrate` is running on this database; waiting for it to finish");
            said = true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[derive(QueryableByName)]
struct IndexName {
    #[diesel(sql_type = Text)]
    name: String,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Drops what a `CREATE INDEX CONCURRENTLY` that gave up (or a `server migrate` killed during
/// one) left behind: an INVALID index, which no query uses, every write maintains, and whose
/// name makes the migration fail again. Done before each attempt. An index still being built
/// `CONCURRENTLY` is INVALID too until it is done: it is left alone (it has a row in
/// `pg_stat_progress_create_index`), whoever builds it (another `server migrate` cannot, see
/// [`MIGRATE_LOCK_KEY`]; someone by hand can). Dropping it would cancel their work, and would
/// wait for the builder's lock until the lock timeout, failing every attempt.
fn drop_invalid_indexes(conn: &mut Conn) -> std::result::Result<(), BoxError> {
    let invalid: Vec<IndexName> = diesel::sql_query(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE NOT i.indisvalid AND n.nspname = current_schema()
            AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p
                             WHERE p.index_relid = i.indexrelid)",
    )
    .load(conn)?;
    for index in invalid {
        tracing::warn!(index = %index.name, "dropping the INVALID index an unfinished migration left");
        conn.batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {}", index.name))?;
    }
    Ok(())
}
