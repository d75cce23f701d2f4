//! Stopping the worker and the scheduler without losing or repeating a job.
//!
//! The first SIGTERM (or SIGINT) cancels the token the loops watch: nothing new is taken (no
//! outbox relay, no receive, no reclaim, no scheduled enqueue), and the batch in hand runs to
//! its end, its jobs acknowledged or rescheduled as usual; then the process exits 0.
//!
//! A second signal, or a batch still running `SHUTDOWN_TIMEOUT_SECONDS` after the first,
//! stops the process at once. The jobs of the batch in hand are then neither lost nor done
//! twice by this process: they were not acknowledged, so they stay in the stream's pending
//! list, and another worker takes them over after `JOB_CLAIM_IDLE_SECONDS` (a job interrupted
//! half-way is safe to run again: an email is recorded once per order, a summary replaces
//! the day's).

use std::future::Future;
use std::time::Duration;

use aforro_adapters::signals::StopSignals;
use tokio_util::sync::CancellationToken;

/// How a run under [`run_until_stopped`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The work ended by itself, before any signal.
    Finished,
    /// A stop signal came and the work in hand finished.
    Gracefully,
    /// A second signal, or the timeout: the work in hand was cut.
    Forced,
}

/// Runs `work` (given the token to watch) until it ends; on a stop signal cancels the token
/// and waits up to `timeout` for `work` to end, or until a second signal.
///
/// # Errors
/// When the signal handlers cannot be installed; `work` has not started then.
pub async fn run_until_stopped<F, W>(timeout: Duration, work: W) -> std::io::Result<Stopped>
where
    W: FnOnce(CancellationToken) -> F,
    F: Future<Output = ()>,
{
    let mut signals = StopSignals::new()?;
    let token = CancellationToken::new();
    let work = work(token.clone());
    tokio::pin!(work);
    tokio::select! {
        () = &mut work => return Ok(Stopped::Finished),
        () = signals.next() => {}
    }
    tracing::info!(
        timeout_seconds = timeout.as_secs(),
        "shutdown requested: taking no new jobs, finishing the batch in hand"
    );
    token.cancel();
    tokio::select! {
        () = &mut work => Ok(Stopped::Gracefully),
        () = signals.next() => {
            tracing::warn!(
                "second stop signal: stopping now; the jobs in hand stay unacknowledged and another worker takes them over"
            );
            Ok(Stopped::Forced)
        }
        () = tokio::time::sleep(timeout) => {
            tracing::warn!(
                timeout_seconds = timeout.as_secs(),
                "shutdown timeout: the batch in hand did not finish; stopping now, its jobs stay unacknowledged and another worker takes them over"
            );
            Ok(Stopped::Forced)
        }
    }
}
