//! The process's stop signals, shared by the binaries (`server serve`, `worker run`,
//! `worker schedule`): the first SIGTERM or SIGINT starts a graceful stop, a second one
//! means "stop now".

use tokio::signal::unix::{signal, Signal, SignalKind};

/// SIGTERM and SIGINT, as one stream of "stop" requests.
///
/// The handlers are installed by [`StopSignals::new`]: until then a signal ends the process
/// the default way (at start-up, before anything is served or taken).
pub struct StopSignals {
    terminate: Signal,
    interrupt: Signal,
}

impl StopSignals {
    /// Installs the handlers.
    ///
    /// # Errors
    /// When the signal driver cannot be set up (no tokio runtime with signals enabled).
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for the next SIGTERM or SIGINT.
    pub async fn next(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}
