//! Request parsing that reports problems the contract's way: a JSON body extractor with a
//! size limit, content-type check and field paths in type errors, and lenient integer parsing
//! for query strings and bodies (so "too big" is a 422 on the field, not a 400 or a 500).

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

use crate::problem::ApiError;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON request body: `Content-Type` must be JSON (415), at most 64 KiB (413),
/// valid JSON of the right shape (400 naming the field).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json::<T>(req, payload.take());
        Box::pin(async move { body.await.map(JsonBody) })
    }
}

/// Reads and parses a JSON body as [`JsonBody`] does, at the moment the caller chooses: staff
/// writes authenticate and authorise first, so that a 401/403 never depends on the body.
pub fn read_json<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    mut payload: Payload,
) -> impl Future<Output = Result<T, ApiError>> + 'static {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false);
    let declared_len = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    async move {
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        if declared_len.is_some_and(|len| len > MAX_BODY_BYTES) {
            return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
        }
        let mut body = Vec::with_capacity(declared_len.unwrap_or(1024).min(MAX_BODY_BYTES));
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| ApiError::BadRequest {
                detail: format!("could not read the body: {e}"),
                field: None,
            })?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
            }
            body.extend_from_slice(&chunk);
        }
        let mut deserializer = serde_json::Deserializer::from_slice(&body);
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." || inner.is_syntax() || inner.is_eof() {
                ApiError::BadRequest {
                    detail: format!("body is not valid JSON: {inner}"),
                    field: None,
                }
            } else {
                ApiError::bad_field(path, strip_position(&inner.to_string()))
            }
        })?;
        deserializer.end().map_err(|e| ApiError::BadRequest {
            detail: format!("body is not valid JSON: {e}"),
            field: None,
        })?;
        Ok(value)
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// An integer from JSON that never fails for being too large: values outside `i64` saturate,
/// so range checks in the core report them as out of range. Non-integers are type errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireInt(pub i64);

impl<'de> serde::Deserialize<'de> for WireInt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntVisitor;
        impl Visitor<'_> for IntVisitor {
            type Value = WireInt;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WireInt, E> {
                Ok(WireInt(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WireInt, E> {
                Ok(WireInt(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<WireInt, E> {
                // serde_json reads integers beyond u64 (and 1e30) as floats.
                if v.fract() == 0.0 && v.is_finite() {
                    Ok(WireInt(if v > 0.0 { i64::MAX } else { i64::MIN }))
                } else {
                    Err(E::custom("must be an integer"))
                }
            }
        }
        deserializer.deserialize_any(IntVisitor)
    }
}

/// Parses an optional integer query parameter: absent → `None`; not an integer → 400 naming
/// it; an integer too large for `i64` saturates (and is then refused by range checks as 422).
pub fn query_int(name: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_field(name, "must be an integer"));
    }
    Ok(Some(raw.parse::<i64>().unwrap_or(if raw.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    })))
}

/// Parses a path id. Anything that is not a positive integer names nothing: 404.
pub fn path_id(what: &str, raw: &str) -> Result<i64, ApiError> {
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ApiError::NotFound(format!("{what} {raw} not found"))),
    }
}
