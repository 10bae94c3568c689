//! Protecting Odoo: a token bucket per database and a cap on concurrent
//! calls.
//!
//! **Default: 10 requests/s, burst 20, 4 concurrent calls.** Reasoning:
//! Odoo Online and small Odoo.sh plans serve a database with a handful of
//! HTTP workers (Odoo.sh's smallest plan: 1–2 workers), and Odoo answers
//! abusive RPC traffic with 429 (handled as `RateLimited`). A warm call
//! costs ~10–20 ms of server time, but a cold one (after any registry cache
//! clear, e.g. a product create) costs ~330–550 ms for the password re-hash
//! (16/19 TIMINGS.md §4) and a batch create of 20 orders ~300 ms (19
//! TIMINGS §1b). At 10 req/s with ≤ 4 in flight, even a run of cold calls
//! keeps at most 4 workers busy and leaves interactive users headroom,
//! while still moving ~1 order/s in the naive 9-call path and several per
//! second with batching (benchmarks in `docs/benchmarks.md`). Raise it for
//! a dedicated on-premise server.
//!
//! The bucket is shared by every [`crate::OdooClient`] of the same process
//! that talks to the same URL and database with the same quota, so several
//! clients (workers, jobs) cannot multiply the load.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Requests per second toward one database.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained rate; `0.0` or less disables the bucket.
    pub per_second: f64,
    /// Requests allowed at once after a quiet period (at least 1).
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: 10.0,
            burst: 20,
        }
    }
}

impl RateLimit {
    pub fn unlimited() -> RateLimit {
        RateLimit {
            per_second: 0.0,
            burst: 1,
        }
    }

    fn quota(&self) -> Option<Quota> {
        if self.per_second.is_nan() || self.per_second <= 0.0 || !self.per_second.is_finite() {
            return None;
        }
        let period = Duration::from_secs_f64(1.0 / self.per_second).max(Duration::from_nanos(1));
        let burst = NonZeroU32::new(self.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(period).map(|q| q.allow_burst(burst))
    }
}

/// One database's token bucket (shared) and this client's concurrency cap.
pub(crate) struct Limiter {
    bucket: Option<Arc<DefaultDirectRateLimiter>>,
    slots: tokio::sync::Semaphore,
}

type Buckets = Mutex<HashMap<String, Arc<DefaultDirectRateLimiter>>>;

fn buckets() -> &'static Buckets {
    static B: OnceLock<Buckets> = OnceLock::new();
    B.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Limiter {
    pub(crate) fn new(url: &str, db: &str, rate: RateLimit, max_concurrency: usize) -> Limiter {
        let bucket = rate.quota().map(|quota| {
            let key = format!(
                "{}\u{0}{db}\u{0}{}\u{0}{}",
                url.trim_end_matches('/'),
                rate.per_second,
                rate.burst
            );
            let mut map = buckets().lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key)
                .or_insert_with(|| Arc::new(RateLimiter::direct(quota)))
                .clone()
        });
        Limiter {
            bucket,
            slots: tokio::sync::Semaphore::new(max_concurrency.max(1)),
        }
    }

    /// Waits for a token, then for a free slot; the slot is held until the
    /// permit drops (the end of the HTTP exchange).
    pub(crate) async fn acquire(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        if let Some(b) = &self.bucket {
            b.until_ready().await;
        }
        self.slots.acquire().await.ok()
    }
}
