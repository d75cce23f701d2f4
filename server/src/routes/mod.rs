//! HTTP routes: thin handlers that parse, call a use-case and map its result.

pub mod cancellation;
pub mod catalogue;
pub mod health;
pub mod inventory;
pub mod movements;
pub mod orders;
pub mod pagination;
pub mod search;
pub mod stock;

use chrono::{DateTime, SecondsFormat, Utc};
use utoipa::IntoParams;

/// The optional `Idempotency-Key` header of the writes that take one (orders, stock
/// adjustments), with every rule the server enforces, so clients and fuzzers know them.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documents the header; handlers read it from the request
pub struct IdempotencyKeyHeader {
    /// Makes retries safe: a repeat with the same key and the same request returns the first
    /// response and changes nothing; the same key with another request is a 422.
    #[param(
        rename = "Idempotency-Key",
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = "^[!-~]+$"
    )]
    idempotency_key: Option<String>,
}

/// RFC 3339 UTC with milliseconds, as the contract writes timestamps.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Money as a decimal string with two places.
pub(crate) fn money(amount: rust_decimal::Decimal) -> String {
    format!("{:.2}", amount.round_dp(2))
}

/// The `X-Cache` header: where a cached endpoint's response came from.
pub(crate) fn x_cache(status: aforro_core::cache::CacheStatus) -> (&'static str, &'static str) {
    ("X-Cache", status.as_str())
}
