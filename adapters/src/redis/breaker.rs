//! A minimal circuit breaker: after a failure, Redis is not tried again for a short while.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub(super) struct Breaker {
    epoch: Instant,
    cool_down: Duration,
    /// Milliseconds since `epoch` before which calls fail fast (0: closed).
    open_until: AtomicU64,
}

impl Breaker {
    pub(super) fn new(cool_down: Duration) -> Self {
        Self {
            epoch: Instant::now(),
            cool_down,
            open_until: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    pub(super) fn is_open(&self) -> bool {
        self.now() < self.open_until.load(Ordering::Relaxed)
    }

    pub(super) fn trip(&self) {
        let until = self.now() + self.cool_down.as_millis() as u64;
        if self.open_until.swap(until, Ordering::Relaxed) <= self.now() {
            tracing::warn!(
                retry_in_ms = self.cool_down.as_millis() as u64,
                "redis unreachable; serving without it"
            );
        }
    }

    pub(super) fn close(&self) {
        self.open_until.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_on_failure_until_closed_or_cooled_down() {
        let breaker = Breaker::new(Duration::from_secs(60));
        assert!(!breaker.is_open());
        breaker.trip();
        assert!(breaker.is_open());
        breaker.close();
        assert!(!breaker.is_open());
        let instant = Breaker::new(Duration::ZERO);
        instant.trip();
        assert!(!instant.is_open(), "a zero cool-down retries at once");
    }
}
