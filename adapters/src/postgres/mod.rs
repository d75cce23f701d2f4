//! PostgreSQL adapter: diesel-async connections from a deadpool pool.
//!
//! One [`Postgres`] value implements every repository port; it is cheap to clone (the pool is
//! shared). SQL that decides something lives next to the port method that runs it.

mod auth;
mod backoffice;
mod catalogue;
mod console_sessions;
mod error;
mod inventory;
mod mailer;
mod migrations;
mod order_cancellation;
mod order_transaction;
mod orders;
mod outbox;
mod pool;
mod prepared;
mod replica;
mod retention;
mod rows;
pub mod schema;
pub(crate) mod search;
mod stock_adjustment;
mod stock_browse;
mod stock_movements;
mod stores;
mod summaries;
#[cfg(feature = "test-db")]
pub mod test_db;
mod transaction;

pub use error::db_error;
pub use mailer::RecordingMailer;
pub(crate) use mailer::{record_sent, OrderEmail};
pub use migrations::{run_migrations, run_migrations_with, MigrationLockTimeout, MigrationSettings};
pub use outbox::OutboxBacklog;
pub use pool::{PoolSettings, PoolStats, Postgres};
pub use replica::ReplicaReads;
pub use search::SUGGEST_LENGTH_BANDS;
