//! Rate limiting: the port, and the policy for when the shared limiter cannot answer.

use std::time::Duration;

use async_trait::async_trait;

use crate::Result;

/// At most `limit` requests per rolling `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// Requests allowed per window (at least 1).
    pub limit: u32,
    /// The rolling window.
    pub window: Duration,
}

/// The verdict on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The limit applied.
    pub limit: u32,
    /// Requests left in the current window after this one.
    pub remaining: u32,
    /// When the window next frees a slot (the oldest counted request leaves it): for a refused
    /// request this is the `Retry-After`.
    pub reset_after: Duration,
}

/// Counts requests per client and decides whether another one is allowed, atomically: two
/// requests at once never both take the last slot.
///
/// Errors: [`crate::Error::Unavailable`] when the limiter's store cannot be reached.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Records one request of `client` in `bucket` under `rule` and returns the verdict.
    async fn hit(&self, bucket: &str, client: &str, rule: RateLimit) -> Result<RateDecision>;
}

/// Asks `shared` (every server process counts in it), and when it cannot answer, `local` (this
/// process only): the service stays up and still limits, per process, while the shared store
/// is down. If both fail the request is allowed: refusing everyone because a counter is
/// unreachable would turn a cache outage into an API outage.
pub async fn check_rate(
    shared: &dyn RateLimiter,
    local: &dyn RateLimiter,
    bucket: &str,
    client: &str,
    rule: RateLimit,
) -> RateDecision {
    match shared.hit(bucket, client, rule).await {
        Ok(decision) => return decision,
        Err(error) => tracing::warn!(bucket, %error, "shared rate limiter unavailable; limiting per process"),
    }
    match local.hit(bucket, client, rule).await {
        Ok(decision) => decision,
        Err(error) => {
            tracing::error!(bucket, %error, "local rate limiter failed; allowing the request");
            RateDecision {
                allowed: true,
                limit: rule.limit,
                remaining: rule.limit.saturating_sub(1),
                reset_after: Duration::ZERO,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    const RULE: RateLimit = RateLimit {
        limit: 20,
        window: Duration::from_secs(60),
    };

    fn verdict(allowed: bool, remaining: u32) -> RateDecision {
        RateDecision {
            allowed,
            limit: 20,
            remaining,
            reset_after: Duration::from_secs(if allowed { 0 } else { 12 }),
        }
    }

    #[tokio::test]
    async fn the_shared_limiter_decides_while_it_answers() {
        let mut shared = MockRateLimiter::new();
        shared
            .expect_hit()
            .withf(|bucket, client, rule| bucket == "suggest" && client == "10.0.0.1" && *rule == RULE)
            .return_once(|_, _, _| Ok(verdict(false, 0)));
        let mut local = MockRateLimiter::new();
        local.expect_hit().never();
        let got = check_rate(&shared, &local, "suggest", "10.0.0.1", RULE).await;
        assert_eq!(got, verdict(false, 0));
    }

    #[tokio::test]
    async fn the_local_limiter_takes_over_when_the_shared_one_is_down() {
        let mut shared = MockRateLimiter::new();
        shared
            .expect_hit()
            .return_once(|_, _, _| Err(Error::Unavailable("refused".into())));
        let mut local = MockRateLimiter::new();
        local.expect_hit().return_once(|_, _, _| Ok(verdict(false, 0)));
        assert!(!check_rate(&shared, &local, "suggest", "c", RULE).await.allowed);
    }

    #[tokio::test]
    async fn both_down_fails_open() {
        let mut shared = MockRateLimiter::new();
        shared
            .expect_hit()
            .return_once(|_, _, _| Err(Error::Unavailable("refused".into())));
        let mut local = MockRateLimiter::new();
        local
            .expect_hit()
            .return_once(|_, _, _| Err(Error::internal("poisoned")));
        let got = check_rate(&shared, &local, "suggest", "c", RULE).await;
        assert!(got.allowed);
        assert_eq!(got.remaining, 19);
    }
}
