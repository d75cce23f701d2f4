//! # aforro-adapters
//!
//! Implementations of the ports of [`aforro_core`]: [`postgres`] (diesel-async on a deadpool
//! pool) and [`redis`] (redis on a bb8 pool).
//! Each adapter turns its library's failures into [`aforro_core::Error`] at the port
//! boundary: connection trouble becomes `Unavailable`, anything else `Internal`.

pub mod local_rate_limit;
pub mod postgres;
pub mod redis;
pub mod signals;
pub mod smtp;
pub mod telemetry;
#[cfg(feature = "test-db")]
pub mod test_figures;
#[cfg(feature = "test-db")]
pub mod test_redis;
pub mod trace;
