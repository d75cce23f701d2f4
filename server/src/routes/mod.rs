//! HTTP routes: thin handlers that parse, call a use-case and map its result.

pub mod health;
pub mod inventory;
pub mod orders;
pub mod pagination;
pub mod search;
pub mod stock;

use chrono::{DateTime, SecondsFormat, Utc};

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
