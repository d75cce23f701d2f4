//! [`RateLimiter`] kept in this process's memory (governor's keyed GCRA limiter): the fallback
//! when the shared limiter in Redis cannot answer. Each process then limits on its own, so a
//! client may get up to `limit` per window from every process while Redis is down.
//!
//! GCRA spreads the window: after a burst of `limit`, one more request is allowed every
//! `window / limit` — never more than the shared limiter's average, slightly different shape.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use aforro_core::rate_limit::{RateDecision, RateLimit, RateLimiter};
use aforro_core::{Error, Result};
use async_trait::async_trait;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::Quota;

type Keyed =
    governor::RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// One limiter per bucket and rule (a governor limiter has a single quota).
type Limiters = HashMap<(String, RateLimit), Arc<Keyed>>;

/// Above this many tracked clients, forgotten ones are dropped before adding more.
const PRUNE_ABOVE: usize = 10_000;

/// In-process rate limiter, one GCRA state per bucket and client. Cheap to clone.
#[derive(Clone, Default)]
pub struct LocalRateLimiter {
    limiters: Arc<Mutex<Limiters>>,
}

impl std::fmt::Debug for LocalRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalRateLimiter").finish_non_exhaustive()
    }
}

impl LocalRateLimiter {
    fn limiter(&self, bucket: &str, rule: RateLimit) -> Result<Arc<Keyed>> {
        let mut limiters = self
            .limiters
            .lock()
            .map_err(|_| Error::internal("local rate limiter poisoned"))?;
        if let Some(limiter) = limiters.get(&(bucket.to_owned(), rule)) {
            return Ok(limiter.clone());
        }
        let burst = NonZeroU32::new(rule.limit).ok_or_else(|| Error::internal("rate limit of 0"))?;
        let quota = Quota::with_period(rule.window / rule.limit)
            .ok_or_else(|| Error::internal("rate limit window of 0"))?
            .allow_burst(burst);
        let limiter =
            Arc::new(governor::RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>());
        limiters.insert((bucket.to_owned(), rule), limiter.clone());
        Ok(limiter)
    }
}

#[async_trait]
impl RateLimiter for LocalRateLimiter {
    async fn hit(&self, bucket: &str, client: &str, rule: RateLimit) -> Result<RateDecision> {
        let limiter = self.limiter(bucket, rule)?;
        if limiter.len() > PRUNE_ABOVE {
            limiter.retain_recent();
        }
        Ok(match limiter.check_key(&client.to_owned()) {
            Ok(state) => RateDecision {
                allowed: true,
                limit: rule.limit,
                remaining: state.remaining_burst_capacity(),
                reset_after: std::time::Duration::ZERO,
            },
            Err(not_until) => RateDecision {
                allowed: false,
                limit: rule.limit,
                remaining: 0,
                reset_after: not_until.wait_time_from(limiter.clock().now()),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn allows_the_limit_then_refuses_per_client() {
        let limiter = LocalRateLimiter::default();
        let rule = RateLimit {
            limit: 3,
            window: Duration::from_secs(60),
        };
        for expected_remaining in [2, 1, 0] {
            let decision = limiter.hit("suggest", "a", rule).await.unwrap();
            assert!(decision.allowed);
            assert_eq!(decision.remaining, expected_remaining);
        }
        let refused = limiter.hit("suggest", "a", rule).await.unwrap();
        assert!(!refused.allowed);
        assert!(refused.reset_after > Duration::from_secs(10), "{refused:?}");
        assert!(limiter.hit("suggest", "b", rule).await.unwrap().allowed);
    }
}
