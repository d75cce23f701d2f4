//! # aforro-server
//!
//! The HTTP shell of aforro: actix-web handlers that parse requests, call `aforro_core`
//! use-cases and map results to the API contract (errors as problem+json). Everything is in
//! this library so integration tests start the real app ([`app::Application`]).

pub mod app;
pub mod auth;
pub mod client_ip;
pub mod config;
pub mod console;
pub mod extract;
pub mod observe;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod shutdown;
pub mod state;
pub mod tokens;
