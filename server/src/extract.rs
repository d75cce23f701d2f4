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

use crate::problem::{ApiError, UnreadBody};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a request body may take to arrive, from the moment the handler starts reading it
/// (the headers have their own deadline of the same length, `client_request_timeout`). A
/// client that stops sending gets 408 and its connection is closed, instead of holding it
/// open for as long as it likes. Registered as app data; absent, [`BodyDeadline::default`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyDeadline(pub std::time::Duration);

impl Default for BodyDeadline {
    fn default() -> Self {
        Self(std::time::Duration::from_secs(5))
    }
}

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
    let deadline = req.app_data::<BodyDeadline>().copied().unwrap_or_default().0;
    async move {
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        if declared_len.is_some_and(|len| len > MAX_BODY_BYTES) {
            return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
        }
        let read = async {
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
            Ok(body)
        };
        let body = match tokio::time::timeout(deadline, read).await {
            Ok(body) => body?,
            Err(_) => {
                return Err(ApiError::RequestTimeout {
                    seconds: deadline.as_secs(),
                    unread: UnreadBody::new(payload),
                })
            }
        };
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

/// One rule for every integer the API reads, in JSON bodies and query strings alike: a number
/// with no fractional part is that integer, however it is written (`3`, `3.0`, `3e0` — JSON
/// Schema's own definition of an integer, so a generated client's `3.0` means 3); a number
/// with a fractional part (`2.5`) is refused as "must be an integer"; a whole number beyond
/// `i64` saturates, so range checks in the core report it as out of range (422), never as a
/// wrong type.
fn whole_number(v: f64) -> Option<i64> {
    if !v.is_finite() || v.fract() != 0.0 {
        return None;
    }
    // 2^63 is exactly representable: every f64 below it (and ≥ -2^63) converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    Some(if v >= LIMIT {
        i64::MAX
    } else if v < -LIMIT {
        i64::MIN
    } else {
        v as i64
    })
}

/// An integer from JSON read by the API's one integer rule (see `whole_number`): never a type error for being large or
/// for being written with a zero fraction.
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
                // serde_json reads `1.0`, `1e0` and integers beyond u64 as floats.
                whole_number(v)
                    .map(WireInt)
                    .ok_or_else(|| E::custom("must be an integer"))
            }
        }
        deserializer.deserialize_any(IntVisitor)
    }
}

/// Parses an optional integer query parameter by the same rule as [`WireInt`]: absent →
/// `None`; digits, or a number with no fractional part (`2.0`, `1e2`) → that integer
/// (saturating beyond `i64`, then refused by range checks as 422); anything else → 400 naming it.
pub fn query_int(name: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Some(raw.parse::<i64>().unwrap_or(if raw.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        })));
    }
    // Only plain decimal notation: Rust's float parser would also take "inf" and "NaN".
    let numeric = !raw.is_empty()
        && raw
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    match raw.parse::<f64>().ok().filter(|_| numeric).and_then(whole_number) {
        Some(value) => Ok(Some(value)),
        None => Err(ApiError::bad_field(name, "must be an integer")),
    }
}

/// Parses a path id. Anything that is not a positive integer names nothing: 404.
pub fn path_id(what: &str, raw: &str) -> Result<i64, ApiError> {
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ApiError::NotFound(format!("{what} {raw} not found"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(json: &str) -> Result<i64, String> {
        serde_json::from_str::<WireInt>(json)
            .map(|w| w.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_are_integers_however_written() {
        for (json, value) in [
            ("3", 3),
            ("3.0", 3),
            ("3e0", 3),
            ("-2.0", -2),
            ("1E2", 100),
            ("0.0", 0),
        ] {
            assert_eq!(wire(json), Ok(value), "{json}");
            assert_eq!(query_int("n", Some(json)).ok().flatten(), Some(value), "{json}");
        }
    }

    #[test]
    fn fractions_are_refused_and_huge_numbers_saturate() {
        for json in ["2.5", "1e-1", "0.000001"] {
            assert!(wire(json).is_err(), "{json}");
            assert!(query_int("n", Some(json)).is_err(), "{json}");
        }
        for json in ["1e30", "9223372036854775808", "99999999999999999999", "9.3e18"] {
            assert_eq!(wire(json), Ok(i64::MAX), "{json}");
            assert_eq!(
                query_int("n", Some(json)).ok().flatten(),
                Some(i64::MAX),
                "{json}"
            );
        }
        assert_eq!(wire("-1e30"), Ok(i64::MIN));
        for raw in ["", "abc", "inf", "NaN", "1,5", " 1", "0x10"] {
            assert!(query_int("n", Some(raw)).is_err(), "{raw:?}");
        }
    }
}
