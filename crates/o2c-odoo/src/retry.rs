//! Which failed calls are retried, how often and after how long.
//!
//! Only [`OdooError::is_transient`] errors are retried (transport failures,
//! 429, 502/503/504, serialization failures that Odoo surfaced); validation,
//! access and business errors never are. Backoff is exponential with "equal
//! jitter" (half fixed, half random) and a cap; a `Retry-After` from a 429
//! is honoured (the delay is at least that long), and one longer than
//! [`RetryPolicy::max_retry_after`] is not waited out in the call: the
//! error goes back to the caller, whose job queue can park the work.
//!
//! **Writes after a timeout.** A [`OdooError::Timeout`] means the request
//! reached Odoo and no answer came; Odoo may still commit it (it retries
//! serialization failures on the server for up to minutes, 16 README §26).
//! So each call has a [`RetrySafety`]:
//!
//! - [`RetrySafety::Safe`]: repeating the call cannot change the outcome —
//!   reads (`search_read`, `read`, `search_count`, ...), and `load` (an
//!   upsert by external id: a second run updates the record the first one
//!   created). Retried after every transient error, timeouts included.
//! - [`RetrySafety::UnsafeAfterTimeout`]: everything else (`create`,
//!   `write` with one2many commands, `action_confirm`, wizards...).
//!   Retried only when the error proves the call did not run (connection
//!   refused, 429, 502/503, a surfaced serialization failure, which rolled
//!   the transaction back). After a `Timeout` the error is returned and the
//!   **caller checks by natural key** (`client_order_ref` + partner, an
//!   `ir.model.data` xmlid, a payment reference) whether the first attempt
//!   landed before writing again — the typed operations in [`crate::ops`]
//!   do exactly that.
//!
//! [`crate::OdooClient::execute_kw`] picks the safety from the method name
//! ([`RetrySafety::for_method`]); `execute_kw_with` / `execute_kw_idempotent`
//! override it for calls the caller knows to be idempotent.

use std::time::Duration;

use rand::Rng;

use crate::OdooError;

/// Whether a call may be repeated after an answer that never came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetrySafety {
    /// Idempotent: retried after any transient error.
    Safe,
    /// Not idempotent: retried only when the call certainly did not run.
    UnsafeAfterTimeout,
}

/// Methods that only read, or upsert by external id.
const SAFE_METHODS: &[&str] = &[
    "search",
    "search_read",
    "search_count",
    "read",
    "read_group",
    "web_search_read",
    "web_read",
    "fields_get",
    "name_search",
    "name_get",
    "default_get",
    "check_object_reference",
    "address_get",
    "context_get",
    "get_views",
    "load",
    "check_access_rights",
    "has_group",
];

impl RetrySafety {
    /// `Safe` for reads and `load`, `UnsafeAfterTimeout` for the rest.
    pub fn for_method(method: &str) -> RetrySafety {
        if SAFE_METHODS.contains(&method) {
            RetrySafety::Safe
        } else {
            RetrySafety::UnsafeAfterTimeout
        }
    }
}

/// How often and how long to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// No single delay is longer (except to honour a `Retry-After`).
    pub max_delay: Duration,
    /// A 429 asking for a longer wait is returned to the caller instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, 200 ms → 400 ms → 800 ms (± jitter), capped at 5 s;
    /// `Retry-After` up to 5 s waited out.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The delay before attempt `attempt + 1` (`attempt` = attempts made so
    /// far, from 1) after `error`, or `None` when the error must be
    /// returned.
    pub fn next_delay(
        &self,
        error: &OdooError,
        safety: RetrySafety,
        attempt: u32,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let retryable = match error {
            OdooError::Transient { .. } | OdooError::Concurrency { .. } => true,
            OdooError::RateLimited { .. } => true,
            OdooError::Timeout { .. } => safety == RetrySafety::Safe,
            _ => false,
        };
        if !retryable {
            return None;
        }
        let backoff = self.backoff(attempt);
        if let OdooError::RateLimited {
            retry_after: Some(after),
        } = error
        {
            if *after > self.max_retry_after {
                return None;
            }
            return Some(backoff.max(*after));
        }
        Some(backoff)
    }

    /// Exponential backoff with equal jitter: `d/2 + rand(0..=d/2)` where
    /// `d = min(max_delay, base * 2^(attempt-1))`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let d = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let half = d / 2;
        let jitter_ms = half.as_millis() as u64;
        let extra = if jitter_ms == 0 {
            0
        } else {
            rand::rng().random_range(0..=jitter_ms)
        };
        half + Duration::from_millis(extra)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> OdooError {
        OdooError::Transient {
            message: "x".into(),
        }
    }
    fn timeout() -> OdooError {
        OdooError::Timeout {
            message: "x".into(),
        }
    }

    #[test]
    fn only_transient_errors_are_retried() {
        let p = RetryPolicy::default();
        assert!(
            p.next_delay(&t(), RetrySafety::UnsafeAfterTimeout, 1)
                .is_some()
        );
        assert!(
            p.next_delay(
                &OdooError::Concurrency {
                    message: "x".into()
                },
                RetrySafety::UnsafeAfterTimeout,
                1
            )
            .is_some()
        );
        for e in [
            OdooError::Validation {
                message: "x".into(),
            },
            OdooError::UserError {
                message: "x".into(),
            },
            OdooError::AccessDenied {
                message: "x".into(),
            },
            OdooError::AccessError {
                message: "x".into(),
            },
            OdooError::MissingRecord {
                message: "x".into(),
            },
            OdooError::Protocol {
                message: "x".into(),
            },
        ] {
            assert_eq!(p.next_delay(&e, RetrySafety::Safe, 1), None, "{e:?}");
        }
        assert_eq!(
            p.next_delay(&t(), RetrySafety::Safe, 4),
            None,
            "attempts exhausted"
        );
    }

    #[test]
    fn a_timeout_is_retried_only_when_safe() {
        let p = RetryPolicy::default();
        assert!(p.next_delay(&timeout(), RetrySafety::Safe, 1).is_some());
        assert_eq!(
            p.next_delay(&timeout(), RetrySafety::UnsafeAfterTimeout, 1),
            None
        );
        assert_eq!(RetrySafety::for_method("search_read"), RetrySafety::Safe);
        assert_eq!(RetrySafety::for_method("load"), RetrySafety::Safe);
        assert_eq!(
            RetrySafety::for_method("create"),
            RetrySafety::UnsafeAfterTimeout
        );
        assert_eq!(
            RetrySafety::for_method("action_confirm"),
            RetrySafety::UnsafeAfterTimeout
        );
    }

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(5),
        };
        for _ in 0..50 {
            let d1 = p.backoff(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d3 = p.backoff(3);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400));
            let d9 = p.backoff(9);
            assert!(d9 >= Duration::from_millis(500) && d9 <= Duration::from_millis(1000));
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_a_bound() {
        let p = RetryPolicy::default();
        let e = OdooError::RateLimited {
            retry_after: Some(Duration::from_secs(2)),
        };
        assert!(
            p.next_delay(&e, RetrySafety::UnsafeAfterTimeout, 1)
                .unwrap()
                >= Duration::from_secs(2)
        );
        let e = OdooError::RateLimited {
            retry_after: Some(Duration::from_secs(60)),
        };
        assert_eq!(p.next_delay(&e, RetrySafety::Safe, 1), None);
    }
}
