//! # aforro-worker
//!
//! The background side of aforro (the role of Celery worker and beat in the Django original):
//! the outbox relay, the job consumer and the daily-summary scheduler. The binary wires
//! adapters into [`runner::Worker`] and [`schedule::Scheduler`]; tests drive the same types.

pub mod config;
pub mod runner;
pub mod schedule;
