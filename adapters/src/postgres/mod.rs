//! PostgreSQL adapter: diesel-async connections from a deadpool pool.
//!
//! One [`Postgres`] value implements every repository port; it is cheap to clone (the pool is
//! shared). SQL that decides something lives next to the port method that runs it.

mod error;
mod inventory;
mod migrations;
mod orders;
mod pool;
mod rows;
pub mod schema;
mod stores;

pub use error::db_error;
pub use migrations::run_migrations;
pub use pool::{PoolSettings, Postgres};
