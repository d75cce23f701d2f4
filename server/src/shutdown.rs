//! Graceful shutdown, so a rolling restart drops no request.
//!
//! On SIGTERM (or SIGINT) `/readyz` answers 503 at once, while the listener keeps accepting for
//! `SHUTDOWN_DRAIN_SECONDS`: a proxy or an orchestrator polling readiness stops routing new
//! requests here meanwhile, and whatever it still sends is served. Then the listeners close and
//! requests in flight get up to `SHUTDOWN_TIMEOUT_SECONDS` to finish (an order's transaction
//! commits or rolls back whole either way), and the process exits 0. A second signal at any
//! point stops at once, cutting what is in flight, with a log line saying so.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use aforro_adapters::signals::StopSignals;
use futures_util::future::join_all;

/// Whether this process is shutting down: shared by `/readyz` and the signal task.
#[derive(Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    /// Marks the process as shutting down: `/readyz` answers 503 from now on.
    pub fn start(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a shutdown signal has arrived.
    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Waits for a stop signal, then drains and stops `servers` (see the module's documentation).
/// The handlers are registered on the future's first poll: a signal before that ends the
/// process the default way (at start-up, before anything is served).
pub async fn stop_on_signals(draining: Draining, drain: Duration, servers: Vec<ServerHandle>) {
    let mut signals = match StopSignals::new() {
        Ok(signals) => signals,
        Err(error) => {
            tracing::error!(%error, "cannot listen for SIGTERM/SIGINT: shutdown will not drain");
            return;
        }
    };
    signals.next().await;
    draining.start();
    tracing::info!(
        drain_seconds = drain.as_secs(),
        "shutdown requested: /readyz answers 503, requests are still served while the drain lasts"
    );
    let drained = tokio::select! {
        () = tokio::time::sleep(drain) => true,
        () = signals.next() => false,
    };
    if drained {
        tracing::info!("drain over: listeners closed, waiting for the requests in flight");
        let graceful = join_all(servers.iter().map(|server| server.stop(true)));
        tokio::select! {
            _ = graceful => return,
            () = signals.next() => {}
        }
    }
    tracing::warn!("second stop signal: stopping now, requests in flight are cut");
    join_all(servers.iter().map(|server| server.stop(false))).await;
}
