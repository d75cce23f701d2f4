//! # aforro-core
//!
//! The pure heart of the aforro retail backend: domain types, validation, use-cases and the
//! port traits those use-cases need. It performs no I/O of its own and names no database,
//! cache or web framework in its API; adapters (see the `aforro-adapters` crate) implement
//! the ports, and shells (HTTP server, worker, seeder) call the use-cases.
//!
//! Every port has a [`mockall`](https://docs.rs/mockall) mock, compiled for this crate's tests
//! and, with the `mock` feature, for other crates' tests (`MockOrderRepository`, …).

#![deny(missing_docs)]

pub mod auth;
pub mod backoffice;
pub mod cache;
pub mod catalogue;
pub mod error;
pub mod idempotency;
pub mod ids;
pub mod inventory;
pub mod jobs;
pub mod money;
pub mod note;
pub mod orders;
pub mod outbox;
pub mod pagination;
pub mod rate_limit;
pub mod search;
pub mod stores;

pub use error::{Entity, Error, FieldError, Result};
pub use ids::{CategoryId, OrderId, ProductId, StoreId};
pub use pagination::{Page, PageRequest};
