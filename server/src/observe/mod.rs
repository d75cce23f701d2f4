//! What an operator sees: Prometheus metrics ([`metrics`]), one trace id per request carried
//! into the jobs it causes, and one log line per failed request ([`middleware`]).
//!
//! Everything is recorded here, at the HTTP edge, from what the use-cases returned and what the
//! response says (`X-Cache`, `RateLimit-*`, the status): `core` knows nothing of metrics, and
//! no port needed a decorator. The pool and Redis figures are read from the adapters when
//! Prometheus scrapes.

pub mod metrics;
pub mod middleware;

pub use metrics::Metrics;
pub use middleware::observe;
