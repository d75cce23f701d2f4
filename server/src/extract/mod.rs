//! Request parsing that reports problems the contract's way: the one JSON body reader of every
//! write ([`read_json`], [`JsonBody`]), the wire forms of values ([`WireInt`], [`WirePrice`],
//! [`WireField`]), query integers, path ids and the `Idempotency-Key` header.

mod body;
mod wire;

use actix_web::HttpRequest;

pub use body::{read_form, read_json, read_optional_json, BodyDeadline, JsonBody, Object, MAX_BODY_BYTES};
pub use wire::{path_id, query_int, WireField, WireInt, WirePrice};

/// The `Idempotency-Key` header of the writes that take one, as text for the core to judge
/// (`IdempotencyKey::parse`). Bytes that are not visible ASCII stay visible to that rule (they
/// become U+FFFD), so a bad key is a 422 naming the header, listed with the body's errors.
pub fn idempotency_key(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("Idempotency-Key")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}
