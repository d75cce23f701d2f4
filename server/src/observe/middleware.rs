//! The one middleware that observes every request: it takes the caller's W3C `traceparent` (or
//! starts a trace), runs the request in a span carrying the trace id — so every log line of the
//! request names it — and inside [`in_trace`], so the outbox rows the request writes carry it
//! too; it answers with a `traceparent` of its own, counts the request, and logs a failed one
//! once.
//!
//! Log rules: a client error (4xx) is one INFO line (route, status, the problem's detail, trace
//! id); a server error (5xx) one ERROR line with the cause chain; a success nothing (the
//! metrics count it). Nothing else logs a request's failure: [`crate::problem::ApiError`] only
//! builds responses.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web;
use aforro_adapters::trace::{in_trace, parse_traceparent, random_span_id, traceparent, TraceId};
use tracing::Instrument;

use super::Metrics;
use crate::problem::{ApiError, ProblemCause, ProblemDetail};
use crate::state::AppState;

const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// Observes one request; see the module's documentation.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let trace_id = req
        .headers()
        .get(&TRACEPARENT)
        .and_then(|value| value.to_str().ok())
        .and_then(parse_traceparent)
        .unwrap_or_else(TraceId::random);
    // The template (`/orders/{order_id}`), never the raw path: a label per order id would
    // grow without bound. Paths that match no route share one label.
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(req.method());
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone());
    let span = tracing::info_span!("request", %method, %route, trace_id = %trace_id);
    let outcome = in_trace(trace_id.clone(), next.call(req).instrument(span.clone())).await;
    let mut response = match outcome {
        Ok(response) => response,
        Err(error) => {
            // Only a middleware inside this one fails this way; answer as actix would.
            let _entered = span.enter();
            tracing::error!(status = 500, error = %error, "request failed");
            return Err(error);
        }
    };
    let status = response.status();
    if let Some(metrics) = metrics {
        record(&metrics, &route, method, &response, started);
    }
    {
        let _entered = span.enter();
        log_failure(&response, status);
    }
    let header = traceparent(&trace_id, &random_span_id());
    if let Ok(value) = HeaderValue::from_str(&header) {
        response.headers_mut().insert(TRACEPARENT, value);
    }
    Ok(response)
}

/// A fixed set of method labels (a client may send any token as a method).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

fn record<B>(metrics: &Metrics, route: &str, method: &str, response: &ServiceResponse<B>, started: Instant) {
    let status = response.status();
    metrics
        .http_requests
        .with_label_values(&[route, method, status_class(status)])
        .inc();
    metrics
        .http_duration
        .with_label_values(&[route, method])
        .observe(started.elapsed().as_secs_f64());
    let headers = response.headers();
    // What the client was told: `X-Cache` on cached endpoints, the RateLimit headers or a 429
    // on rate-limited ones.
    if let Some(result) = headers.get("x-cache").and_then(|v| v.to_str().ok()) {
        let result = match result {
            "HIT" => "hit",
            "MISS" => "miss",
            _ => "bypass",
        };
        metrics.cache_requests.with_label_values(&[route, result]).inc();
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        metrics.rate_limit.with_label_values(&[route, "refused"]).inc();
    } else if headers.contains_key("ratelimit-limit") {
        metrics.rate_limit.with_label_values(&[route, "allowed"]).inc();
    }
}

/// The one log line of a failed request (inside its span, which names route and trace id).
fn log_failure<B>(response: &ServiceResponse<B>, status: StatusCode) {
    if !status.is_client_error() && !status.is_server_error() {
        return;
    }
    let error = response.response().error();
    let detail = response
        .response()
        .extensions()
        .get::<ProblemDetail>()
        .map(|d| d.0.clone())
        .or_else(|| error.map(ToString::to_string))
        .unwrap_or_default();
    if status.is_client_error() {
        tracing::info!(status = status.as_u16(), %detail, "client error");
        return;
    }
    let cause = error
        .map(|error| match error.as_error::<ApiError>() {
            Some(api) => cause_chain(api),
            None => error.to_string(),
        })
        .or_else(|| {
            response
                .response()
                .extensions()
                .get::<ProblemCause>()
                .map(|c| c.0.clone())
        })
        .unwrap_or_else(|| detail.clone());
    tracing::error!(status = status.as_u16(), %detail, %cause, "server error");
}

/// `error: its source: that one's source…`, without repeating a message that the text so far
/// already ends with (`internal error: {source}` wraps its source's text).
fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !chain.ends_with(&text) {
            chain.push_str(": ");
            chain.push_str(&text);
        }
        source = cause.source();
    }
    chain
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use actix_web::middleware::from_fn;
    use actix_web::{test, web, App, HttpResponse};
    use aforro_core::Error as CoreError;
    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    /// Log output, captured.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("connection reset by peer")]
    struct Reset;

    #[derive(Debug, thiserror::Error)]
    #[error("query failed")]
    struct QueryFailed(#[source] Reset);

    async fn handler(kind: web::Path<String>) -> Result<HttpResponse, ApiError> {
        match kind.as_str() {
            "missing" => Err(ApiError::NotFound("thing 7 does not exist".into())),
            "broken" => Err(ApiError::Core(CoreError::Internal(Box::new(QueryFailed(Reset))))),
            _ => Ok(HttpResponse::Ok().finish()),
        }
    }

    /// The lines logged while answering `GET /things/{kind}` (with a `traceparent`).
    async fn lines_for(kind: &str) -> (u16, Vec<String>) {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .wrap(from_fn(observe))
                .route("/things/{kind}", web::get().to(handler)),
        )
        .await;
        let request = test::TestRequest::get()
            .uri(&format!("/things/{kind}"))
            .insert_header(("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01")))
            .to_request();
        let response = test::call_service(&app, request).await;
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        (
            response.status().as_u16(),
            text.lines().map(str::to_owned).collect(),
        )
    }

    #[actix_web::test]
    async fn a_client_error_is_one_short_info_line() {
        let (status, lines) = lines_for("missing").await;
        assert_eq!(status, 404);
        assert_eq!(lines.len(), 1, "{lines:#?}");
        let line = &lines[0];
        for part in [
            "INFO",
            "client error",
            "status=404",
            "thing 7 does not exist",
            "route=/things/{kind}",
            TRACE_ID,
        ] {
            assert!(line.contains(part), "{part:?} missing from {line}");
        }
        assert!(!line.contains("NotFound("), "no debug dump: {line}");
        assert!(line.len() < 300, "{} characters: {line}", line.len());
    }

    #[actix_web::test]
    async fn a_server_error_is_one_error_line_with_its_causes() {
        let (status, lines) = lines_for("broken").await;
        assert_eq!(status, 500);
        assert_eq!(lines.len(), 1, "{lines:#?}");
        let line = &lines[0];
        for part in [
            "ERROR",
            "server error",
            "status=500",
            "internal error: query failed: connection reset by peer",
            TRACE_ID,
        ] {
            assert!(line.contains(part), "{part:?} missing from {line}");
        }
    }

    #[actix_web::test]
    async fn a_success_logs_nothing() {
        let (status, lines) = lines_for("fine").await;
        assert_eq!(status, 200);
        assert!(lines.is_empty(), "{lines:#?}");
    }
}
