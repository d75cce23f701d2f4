//! The HTTP layer's one error type, [`ApiError`], and its single mapping to RFC 9457
//! problem+json. Core errors arrive here unchanged and are mapped once.

use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, ResponseError};
use aforro_core::{Error as CoreError, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

/// One offending field of a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// Path of the field as the client sent it (`items[1].quantity_requested`, `page_size`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// RFC 9457 problem details, the body of every 4xx and 5xx response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status code says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status code's reason phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// A human-readable explanation of this occurrence.
    pub detail: String,
    /// Every offending field, when the problem is about the request's content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ProblemField>>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A use-case failed.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The request could not be read: invalid JSON, wrong types.
    #[error("{detail}")]
    BadRequest {
        /// What could not be read.
        detail: String,
        /// The field concerned and what is wrong with it, when known.
        field: Option<FieldError>,
    },
    /// A path that names nothing.
    #[error("{0}")]
    NotFound(String),
    /// The body is larger than the limit.
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The body is not JSON.
    #[error("request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// A dependency the request needs is down (readiness).
    #[error("{0}")]
    Unavailable(String),
    /// The path exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The body did not arrive within the deadline; the connection is closed.
    #[error("the request body did not arrive within {seconds} s")]
    RequestTimeout {
        /// The deadline.
        seconds: u64,
        /// What is left of the body, held until the answer is sent (see [`UnreadBody`]).
        unread: UnreadBody,
    },
    /// The client used up its rate limit; it may retry after this many seconds.
    #[error("rate limit exceeded: retry after {0} s")]
    TooManyRequests(u64),
}

impl ApiError {
    /// A 400 naming a field.
    pub fn bad_field(field: impl Into<String>, message: impl std::fmt::Display) -> Self {
        let field = FieldError::new(field, message.to_string());
        ApiError::BadRequest {
            detail: field.to_string(),
            field: Some(field),
        }
    }

    fn fields(&self) -> Option<Vec<ProblemField>> {
        let convert = |e: &FieldError| ProblemField {
            field: e.field.clone(),
            message: e.message.clone(),
        };
        match self {
            ApiError::Core(CoreError::Invalid(errors)) => Some(errors.iter().map(convert).collect()),
            ApiError::BadRequest {
                field: Some(field), ..
            } => Some(vec![convert(field)]),
            _ => None,
        }
    }

    pub(crate) fn detail(&self) -> String {
        match self {
            ApiError::Core(CoreError::Invalid(errors)) => errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            // Internal details go to the log, not to the client.
            ApiError::Core(CoreError::Internal(_)) => "an unexpected error occurred".to_string(),
            ApiError::Core(CoreError::Unauthenticated(why) | CoreError::Forbidden(why)) => why.clone(),
            ApiError::Core(CoreError::Conflict(why)) => why.clone(),
            ApiError::Core(CoreError::Unavailable(_)) => {
                "a service this request needs is unavailable; retry later".to_string()
            }
            other => other.to_string(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Core(CoreError::Invalid(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Core(CoreError::Conflict(_)) => StatusCode::CONFLICT,
            ApiError::Core(CoreError::Unauthenticated(_)) => StatusCode::UNAUTHORIZED,
            ApiError::Core(CoreError::Forbidden(_)) => StatusCode::FORBIDDEN,
            ApiError::Core(CoreError::NotFound { .. }) | ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Core(CoreError::Unavailable(_)) | ApiError::Unavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Core(CoreError::Internal(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        // Not logged here: the request's middleware logs every failed request once, with its
        // route and trace id (see `observe::middleware`).
        if let ApiError::RequestTimeout { unread, .. } = self {
            return unread.closing_response(status, self.detail());
        }
        let mut response = problem_response(status, self.detail(), self.fields());
        if let ApiError::Core(CoreError::Unauthenticated(_)) = self {
            // RFC 9110 §11.6.1: a 401 names the scheme that would work (RFC 6750's Bearer).
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if let ApiError::TooManyRequests(seconds) = self {
            if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// The unread rest of a request body whose client stopped sending it.
///
/// Once a handler drops a chunked body unread, actix-http keeps the connection to *drain* it
/// for reuse, and waits for the rest for as long as the client likes — exactly what a client
/// holding connections open wants. Held in the 408's body until that body has been written,
/// the payload is still unread when actix decides the connection's fate, so it closes it.
///
/// Shared (`Rc`), because an error's response may be built more than once (the request
/// logger builds one too): each holds it, and the one sent keeps it alive.
pub struct UnreadBody(Rc<Payload>);

impl UnreadBody {
    /// Holds `payload` for the answer.
    pub fn new(payload: Payload) -> Self {
        Self(Rc::new(payload))
    }

    fn closing_response(&self, status: StatusCode, detail: String) -> HttpResponse {
        let problem = Problem {
            kind: "about:blank".to_string(),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            errors: None,
        };
        let bytes = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "application/problem+json"))
            .body(ClosingBody {
                bytes: Some(Bytes::from(bytes)),
                _unread: Rc::clone(&self.0),
            });
        response.extensions_mut().insert(ProblemDetail(problem.detail));
        response
    }
}

impl std::fmt::Debug for UnreadBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnreadBody")
    }
}

/// A response body that keeps the request's unread payload alive until it has been sent.
struct ClosingBody {
    bytes: Option<Bytes>,
    _unread: Rc<Payload>,
}

impl MessageBody for ClosingBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.bytes.as_ref().map_or(0, |b| b.len() as u64))
    }

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(self.get_mut().bytes.take().map(Ok))
    }
}

/// The `detail` of a problem response, kept in the response's extensions so the request's log
/// line can name it without reading the body.
#[derive(Debug, Clone)]
pub struct ProblemDetail(pub String);

/// Why a 5xx response built without an error (readiness) failed, for its log line.
#[derive(Debug, Clone)]
pub struct ProblemCause(pub String);

/// A problem+json response.
pub fn problem_response(
    status: StatusCode,
    detail: String,
    errors: Option<Vec<ProblemField>>,
) -> HttpResponse {
    let problem = Problem {
        kind: "about:blank".to_string(),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail: detail.clone(),
        errors,
    };
    let mut response = HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "application/problem+json"))
        .json(problem);
    response.extensions_mut().insert(ProblemDetail(detail));
    response
}
