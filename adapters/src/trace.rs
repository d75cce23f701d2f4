//! W3C trace context (`traceparent`) and the trace id of the work in progress.
//!
//! The server accepts a caller's `traceparent` or starts a trace, and runs the request inside
//! [`in_trace`]; adapters that write work for later (the outbox rows of an order's
//! confirmation or of a deferred cache invalidation) read [`current_trace_id`] and store it
//! with the row, and the worker logs it with the job. One id then finds an order's request, its
//! transaction and its confirmation email.
//!
//! Why a task-local and not a field of the core's commands: the trace id is the operator's
//! concern, not the domain's — no use-case decides anything by it — so it travels beside the
//! call, the way OpenTelemetry's context does, and `core` stays free of it.

use std::fmt;
use std::future::Future;

tokio::task_local! {
    static CURRENT: TraceId;
}

/// A W3C trace id: 32 lowercase hex digits, not all zero.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TraceId(String);

impl TraceId {
    /// Parses 32 hex digits (either case; stored lowercase). All zeros is invalid (W3C).
    pub fn parse(raw: &str) -> Option<Self> {
        let valid =
            raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_hexdigit()) && raw.bytes().any(|b| b != b'0');
        valid.then(|| Self(raw.to_ascii_lowercase()))
    }

    /// A fresh random trace id.
    pub fn random() -> Self {
        // `| 1`: never all zeros.
        Self(format!("{:032x}", rand::random::<u128>() | 1))
    }

    /// The 32 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A fresh span id: 16 hex digits, not all zero.
pub fn random_span_id() -> String {
    format!("{:016x}", rand::random::<u64>() | 1)
}

/// The trace id of a `traceparent` header (`00-<trace id>-<parent id>-<flags>`), if it is
/// well formed. A malformed header is ignored, as W3C asks: the request starts a new trace.
pub fn parse_traceparent(header: &str) -> Option<TraceId> {
    let mut parts = header.trim().split('-');
    let version = parts.next()?;
    let trace_id = parts.next()?;
    let parent_id = parts.next()?;
    let flags = parts.next()?;
    // Version 00 has exactly four fields; a later version may append more (W3C §3.2.4).
    if version.len() != 2
        || !version.bytes().all(|b| b.is_ascii_hexdigit())
        || version.eq_ignore_ascii_case("ff")
        || (version == "00" && parts.next().is_some())
    {
        return None;
    }
    let parent_ok = parent_id.len() == 16
        && parent_id.bytes().all(|b| b.is_ascii_hexdigit())
        && parent_id.bytes().any(|b| b != b'0');
    let flags_ok = flags.len() == 2 && flags.bytes().all(|b| b.is_ascii_hexdigit());
    if !parent_ok || !flags_ok {
        return None;
    }
    TraceId::parse(trace_id)
}

/// A `traceparent` header value naming `trace_id` and the span `span_id` (sampled).
pub fn traceparent(trace_id: &TraceId, span_id: &str) -> String {
    format!("00-{trace_id}-{span_id}-01")
}

/// Runs `work` with `trace_id` as the [`current_trace_id`].
pub async fn in_trace<F: Future>(trace_id: TraceId, work: F) -> F::Output {
    CURRENT.scope(trace_id, work).await
}

/// The trace id of the request or job being handled, if it runs inside [`in_trace`].
pub fn current_trace_id() -> Option<TraceId> {
    CURRENT.try_with(Clone::clone).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    #[test]
    fn a_valid_traceparent_gives_its_trace_id() {
        let header = format!("00-{ID}-00f067aa0ba902b7-01");
        assert_eq!(parse_traceparent(&header).map(|t| t.0), Some(ID.to_owned()));
        let upper = format!("00-{}-00f067aa0ba902b7-00", ID.to_uppercase());
        assert_eq!(parse_traceparent(&upper).map(|t| t.0), Some(ID.to_owned()));
    }

    #[test]
    fn malformed_traceparents_are_ignored() {
        for bad in [
            "",
            "garbage",
            &format!("00-{ID}-00f067aa0ba902b7"),
            &format!("00-{ID}-0000000000000000-01"),
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            &format!("ff-{ID}-00f067aa0ba902b7-01"),
            &format!("00-{ID}-00f067aa0ba902b7-01-extra"),
            &format!("00-{}-00f067aa0ba902b7-01", &ID[1..]),
            &format!("00-{ID}-00f067aa0ba902bz-01"),
        ] {
            assert_eq!(parse_traceparent(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_later_version_may_carry_more_fields() {
        let header = format!("01-{ID}-00f067aa0ba902b7-01-what-comes-next");
        assert!(parse_traceparent(&header).is_some());
    }

    #[test]
    fn random_ids_are_valid_and_round_trip() {
        let id = TraceId::random();
        let header = traceparent(&id, &random_span_id());
        assert_eq!(parse_traceparent(&header), Some(id));
    }

    #[tokio::test]
    async fn the_current_trace_id_is_visible_inside_only() {
        assert_eq!(current_trace_id(), None);
        let id = TraceId::random();
        let seen = in_trace(id.clone(), async { current_trace_id() }).await;
        assert_eq!(seen, Some(id));
    }
}
