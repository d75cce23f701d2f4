//! # aforro-worker
//!
//! The background side of aforro (the role of Celery worker and beat in the Django original):
//! the outbox relay, the job consumer and the daily-summary scheduler. The binary wires
//! adapters into [`runner::Worker`] and [`schedule::Scheduler`]; tests drive the same types.
//! [`metrics`] and [`metered`] are what an operator sees of it; [`shutdown`] stops it without
//! losing or repeating a job.

pub mod config;
pub mod metered;
pub mod metrics;
pub mod runner;
pub mod schedule;
pub mod shutdown;
