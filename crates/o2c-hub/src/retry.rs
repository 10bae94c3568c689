//! Retry policy for transient faults: exponential backoff with full jitter,
//! capped, honouring a server's `Retry-After` when it gives one.

use std::time::Duration;

use rand::Rng;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct RetryPolicy {
    /// Delay before the first retry, in milliseconds.
    pub initial_ms: u64,
    /// Growth per attempt.
    pub factor: f64,
    /// Upper bound of one delay, in milliseconds.
    pub max_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial_ms: 500,
            factor: 2.0,
            max_ms: 300_000,
        }
    }
}

impl RetryPolicy {
    /// The ceiling of the delay after `attempt` failed attempts (1-based).
    pub fn ceiling(&self, attempt: i32) -> Duration {
        let exponent = attempt.saturating_sub(1).clamp(0, 62);
        let grown = self.initial_ms as f64 * self.factor.max(1.0).powi(exponent);
        Duration::from_millis(grown.min(self.max_ms as f64) as u64)
    }

    /// Full jitter: uniform in [ceiling/2, ceiling], so that many orders
    /// failing together do not retry together; never shorter than `at_least`.
    pub fn delay(&self, attempt: i32, at_least: Option<Duration>) -> Duration {
        let ceiling = self.ceiling(attempt).as_millis() as u64;
        let jittered = if ceiling == 0 {
            0
        } else {
            rand::rng().random_range(ceiling / 2..=ceiling)
        };
        Duration::from_millis(jittered).max(at_least.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_and_caps() {
        let policy = RetryPolicy {
            initial_ms: 100,
            factor: 2.0,
            max_ms: 1_000,
        };
        assert_eq!(policy.ceiling(1), Duration::from_millis(100));
        assert_eq!(policy.ceiling(2), Duration::from_millis(200));
        assert_eq!(policy.ceiling(4), Duration::from_millis(800));
        assert_eq!(policy.ceiling(5), Duration::from_millis(1_000));
        assert_eq!(policy.ceiling(500), Duration::from_millis(1_000));
    }

    #[test]
    fn jitter_stays_in_bounds_and_honours_retry_after() {
        let policy = RetryPolicy::default();
        for attempt in 1..10 {
            let delay = policy.delay(attempt, None);
            let ceiling = policy.ceiling(attempt);
            assert!(
                delay <= ceiling && delay >= ceiling / 2,
                "{delay:?} vs {ceiling:?}"
            );
        }
        let forced = policy.delay(1, Some(Duration::from_secs(30)));
        assert!(forced >= Duration::from_secs(30));
    }
}
