//! HTTP integration tests against a real Postgres (and Redis for readiness).
//! One binary with modules: one link step, and tests still run in parallel.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bodies;
mod cache;
mod cancellation;
mod catalogue;
mod cli;
mod cluster_failover;
mod console;
mod console_answers;
mod console_catalogue;
mod console_catalogue_refusals;
mod console_orders;
mod console_stock;
mod contention;
mod contract;
mod docs;
mod faults;
mod helpers;
mod ledger;
mod observability;
mod orders;
mod reads;
mod replica;
mod search;
mod search_answers;
mod search_counts;
mod search_stock;
mod shutdown;
mod stock;
mod stock_access;
mod stock_contention;
mod stock_movements;
mod suggest;
mod tokens;
mod transaction;
