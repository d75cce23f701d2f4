//! The one way a JSON request body comes in, for every write (orders, stock, catalogue, and
//! whatever comes next): JSON content type (415), at most 64 KiB (413) arriving within its
//! deadline (408), valid UTF-8 throughout (400), one JSON object — arrays and scalars are
//! refused wherever an object belongs, at the top and in nested lines (400) —, each field of
//! its JSON type (400 naming it). The fields the body's type does not define are found here
//! (nested ones too) and handed to the core with the rest, which refuses them (422) together
//! with every other bad field: one answer lists everything wrong with a request.
//!
//! A body type is a plain `serde` struct that also derives `ToSchema`: the type the server
//! reads is the type the OpenAPI document describes (see `crate::openapi::StrictBodies` for
//! `additionalProperties: false` and `minProperties`).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

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

/// A JSON write body as [`read_json`] reads it: its fields, and the paths of the fields its
/// type does not define. The core refuses those (422, listed with every other bad field), so
/// the handler hands both to it in the use-case's input.
///
/// Also an extractor, for writes that need no token (orders); staff writes call [`read_json`]
/// themselves once authorised.
#[derive(Debug)]
pub struct JsonBody<T> {
    /// The fields the body's type defines.
    pub value: T,
    /// Paths of the other fields (`colour`, `items[0].colour`), in the body's order.
    pub unknown: Vec<String>,
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        Box::pin(read_json::<T>(req, payload.take()))
    }
}

/// Reads and parses a JSON write body (see the module doc for every rule), at the moment the
/// caller chooses: staff writes authenticate and authorise first, so that a 401/403 never
/// depends on the body.
pub fn read_json<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: Payload,
) -> impl Future<Output = Result<JsonBody<T>, ApiError>> + 'static {
    let is_json = is_json(req);
    let declared_len = declared_len(req);
    let deadline = req.app_data::<BodyDeadline>().copied().unwrap_or_default().0;
    async move {
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let body = read_bytes(payload, declared_len, deadline).await?;
        parse_body(&body)
    }
}

/// [`read_json`] for a write whose body is optional (`POST /orders/{id}/cancel/`): an empty
/// body, with or without a content type, is `T::default()`; any other body follows every rule
/// of [`read_json`] (a JSON content type, one object in UTF-8, known fields).
pub fn read_optional_json<T: DeserializeOwned + Default + 'static>(
    req: &HttpRequest,
    payload: Payload,
) -> impl Future<Output = Result<JsonBody<T>, ApiError>> + 'static {
    let is_json = is_json(req);
    let declared_len = declared_len(req);
    let deadline = req.app_data::<BodyDeadline>().copied().unwrap_or_default().0;
    async move {
        let body = read_bytes(payload, declared_len, deadline).await?;
        if body.is_empty() {
            return Ok(JsonBody {
                value: T::default(),
                unknown: Vec::new(),
            });
        }
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        parse_body(&body)
    }
}

/// Reads a console form (`application/x-www-form-urlencoded`, 415 otherwise) with the same
/// size limit and deadline as a JSON body. Every field of a form type is text
/// (`Option<String>`), so parsing fails only on a body that is not a form at all (400); the
/// values are judged by the core, and shown beside their fields. Fields the type does not
/// define are ignored: a browser sends its buttons' names too.
pub fn read_form<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: Payload,
) -> impl Future<Output = Result<T, ApiError>> + 'static {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let declared_len = declared_len(req);
    let deadline = req.app_data::<BodyDeadline>().copied().unwrap_or_default().0;
    async move {
        if !is_form {
            return Err(ApiError::UnsupportedMediaType);
        }
        let body = read_bytes(payload, declared_len, deadline).await?;
        serde_urlencoded::from_bytes(&body).map_err(|error| ApiError::BadRequest {
            detail: format!("the form could not be read: {error}"),
            field: None,
        })
    }
}

/// Whether the request says its body is JSON (`application/json` or `application/…+json`).
fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// The `Content-Length` the request declares, if any.
fn declared_len(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

/// The whole body, within [`MAX_BODY_BYTES`] (a larger declared length is refused unread) and
/// the deadline.
async fn read_bytes(
    mut payload: Payload,
    declared_len: Option<usize>,
    deadline: std::time::Duration,
) -> Result<Vec<u8>, ApiError> {
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
    match tokio::time::timeout(deadline, read).await {
        Ok(body) => body,
        Err(_) => Err(ApiError::RequestTimeout {
            seconds: deadline.as_secs(),
            unread: UnreadBody::new(payload),
        }),
    }
}

/// Parses a whole body as `T`: UTF-8, one object, types; and finds the unknown fields.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<JsonBody<T>, ApiError> {
    // The whole body, not only the fields `T` reads: a client whose unused field is garbled
    // has a bug worth hearing about.
    let text = std::str::from_utf8(body).map_err(|e| ApiError::BadRequest {
        detail: format!(
            "request body is not valid UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ),
        field: None,
    })?;
    let mut unknown = Vec::new();
    let mut record_unknown = |path: serde_ignored::Path| unknown.push(field_path(&path));
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let ignoring = serde_ignored::Deserializer::new(&mut deserializer, &mut record_unknown);
    let parsed: Object<T> = serde_path_to_error::deserialize(ignoring).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::BadRequest {
                detail: format!("request body is not valid JSON: {inner}"),
                field: None,
            }
        } else if path == "." {
            ApiError::BadRequest {
                detail: format!("request body {}", type_message(&inner.to_string())),
                field: None,
            }
        } else {
            ApiError::bad_field(path, type_message(&inner.to_string()))
        }
    })?;
    deserializer.end().map_err(|e| ApiError::BadRequest {
        detail: format!("request body is not valid JSON: {e}"),
        field: None,
    })?;
    Ok(JsonBody {
        value: parsed.0,
        unknown,
    })
}

/// A field's path as the errors name it: `items[0].colour`.
fn field_path(path: &serde_ignored::Path) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", field_path(parent)),
        Path::Map { parent, key } => match field_path(parent) {
            parent if parent.is_empty() => key.clone(),
            parent => format!("{parent}.{key}"),
        },
        Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => {
            field_path(parent)
        }
    }
}

/// serde's "invalid type: integer `5`, expected a string" in the API's words: "must be a
/// string".
fn type_message(serde_message: &str) -> String {
    let message = serde_message
        .find(" at line ")
        .map_or(serde_message, |i| &serde_message[..i]);
    match message.rsplit_once(", expected ") {
        Some((_, expected)) => format!("must be {}", expected.replace("a sequence", "an array")),
        None => message.to_owned(),
    }
}

/// A `T` that must be written as a JSON object. serde's derived structs also accept an array
/// of their fields in order (`[1, [[5, 1]]]` for an order); the API takes objects only, so
/// every body and every nested line is read through this.
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }

        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}

impl<T> std::fmt::Debug for Object<T>
where
    T: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
