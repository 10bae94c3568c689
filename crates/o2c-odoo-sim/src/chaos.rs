//! Fault injection: added latency, 502/503 answers, timeouts that still
//! commit, 429 with `Retry-After`, serialization failures on writes and a
//! request rate limit. Settings come from [`crate::SimConfig::faults`] and can
//! be changed at run time through the admin endpoint (`/__sim/faults`).
//!
//! Every random decision draws from one seeded RNG, in request order, so a
//! test that sends its requests one after the other sees the same faults on
//! every run.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// What a held ("timed out") request does with its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutCommit {
    /// Hold first, then run and commit the call (the client has usually
    /// given up by then): what a real Odoo stuck on a lock or in its
    /// serialization-retry loop does.
    #[default]
    AfterHold,
    /// Run and commit the call at once, then hold the answer.
    BeforeHold,
}

/// What the sandbox does when it injects a serialization failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SerializationMode {
    /// Like Odoo: retry the transaction on the server (up to
    /// `MAX_TRIES_ON_CONCURRENCY_FAILURE` = 5 attempts, with a random
    /// backoff between them), so the client only sees added latency; the
    /// error surfaces only when every attempt failed.
    #[default]
    Retry,
    /// Answer the first failure with Odoo's error body at once.
    Surface,
}

/// Fault-injection settings. Every rate is a probability in `0.0..=1.0`
/// per request (per write call for `serialization_rate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Seed of the RNG behind every random decision.
    pub seed: u64,
    /// Added to every Odoo request (not to `/__sim/*`).
    pub latency_ms: u64,
    /// Plus a uniformly random `0..=jitter_ms`.
    pub jitter_ms: u64,
    /// Rate of `502 Bad Gateway` answers (the work is not done).
    pub rate_502: f64,
    /// Rate of `503 Service Unavailable` answers (the work is not done).
    pub rate_503: f64,
    /// Rate of `429 Too Many Requests` answers with `Retry-After`.
    pub rate_429: f64,
    /// `Retry-After` seconds on injected 429s.
    pub retry_after_s: u64,
    /// Rate of requests held for `timeout_hold_ms` (longer than a client's
    /// timeout); the work is still committed, see `timeout_commit`.
    pub timeout_rate: f64,
    pub timeout_hold_ms: u64,
    pub timeout_commit: TimeoutCommit,
    /// Rate of serialization failures per attempt of a write call.
    pub serialization_rate: f64,
    pub serialization_mode: SerializationMode,
    /// Attempts before the failure surfaces in `retry` mode (Odoo: 5).
    pub serialization_max_tries: u32,
    /// Backoff base: before retry n the sandbox sleeps a random
    /// `0..base * 2^n` ms (Odoo: `random.uniform(0.0, 2 ** tries)` seconds,
    /// `odoo/service/model.py`, scaled down so tests stay fast).
    pub serialization_backoff_ms: u64,
    /// Requests per second allowed (token bucket); 0 = unlimited. Excess
    /// requests get 429 with `Retry-After`.
    pub rate_limit_rps: f64,
    /// Bucket size (burst); at least 1.
    pub rate_limit_burst: u32,
    /// Stop injecting after this many injected faults (None = no limit).
    pub max_faults: Option<u64>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            seed: 0x0d00,
            latency_ms: 0,
            jitter_ms: 0,
            rate_502: 0.0,
            rate_503: 0.0,
            rate_429: 0.0,
            retry_after_s: 1,
            timeout_rate: 0.0,
            timeout_hold_ms: 30_000,
            timeout_commit: TimeoutCommit::AfterHold,
            serialization_rate: 0.0,
            serialization_mode: SerializationMode::Retry,
            serialization_max_tries: 5,
            serialization_backoff_ms: 10,
            rate_limit_rps: 0.0,
            rate_limit_burst: 1,
            max_faults: None,
        }
    }
}

impl FaultConfig {
    /// Parses a compact flag value: `key=value` pairs separated by commas,
    /// e.g. `latency_ms=20,rate_503=0.05,seed=7` (the keys are the field
    /// names; enum values `after_hold`, `before_hold`, `retry`, `surface`).
    pub fn parse_spec(spec: &str) -> Result<FaultConfig, String> {
        let mut obj = serde_json::to_value(FaultConfig::default()).map_err(|e| e.to_string())?;
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("expected key=value, got {part:?}"))?;
            let v = v.trim();
            let value = match v.parse::<serde_json::Value>() {
                Ok(n @ serde_json::Value::Number(_)) => n,
                _ if v == "none" || v == "null" => serde_json::Value::Null,
                _ => serde_json::Value::String(v.to_string()),
            };
            obj[k.trim()] = value;
        }
        serde_json::from_value(obj).map_err(|e| e.to_string())
    }

    /// Applies the members present in `patch` (a JSON object of fields).
    pub fn merged(&self, patch: &serde_json::Value) -> Result<FaultConfig, String> {
        let mut obj = serde_json::to_value(self).map_err(|e| e.to_string())?;
        let patch = patch
            .as_object()
            .ok_or_else(|| "expected a JSON object of fault settings".to_string())?;
        for (k, v) in patch {
            obj[k.as_str()] = v.clone();
        }
        let cfg: FaultConfig = serde_json::from_value(obj).map_err(|e| e.to_string())?;
        cfg.check()?;
        Ok(cfg)
    }

    pub fn check(&self) -> Result<(), String> {
        for (name, r) in [
            ("rate_502", self.rate_502),
            ("rate_503", self.rate_503),
            ("rate_429", self.rate_429),
            ("timeout_rate", self.timeout_rate),
            ("serialization_rate", self.serialization_rate),
        ] {
            if !(0.0..=1.0).contains(&r) {
                return Err(format!("{name} must be between 0 and 1, got {r}"));
            }
        }
        if self.rate_limit_rps < 0.0 {
            return Err("rate_limit_rps must not be negative".into());
        }
        Ok(())
    }

    /// True when no fault of any kind is configured.
    pub fn is_quiet(&self) -> bool {
        self.latency_ms == 0
            && self.jitter_ms == 0
            && self.rate_502 == 0.0
            && self.rate_503 == 0.0
            && self.rate_429 == 0.0
            && self.timeout_rate == 0.0
            && self.serialization_rate == 0.0
            && self.rate_limit_rps == 0.0
    }
}

/// What to do with one incoming request, decided before it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Answer with this HTTP status (502/503) without doing the work.
    Status(u16),
    /// Answer 429 with `Retry-After: secs` without doing the work.
    TooMany { retry_after_s: u64 },
    /// Do the work; sleep `delay` first; when `hold` is set, hold the
    /// request that long (before or after the work, per `commit`).
    Proceed {
        delay: Duration,
        hold: Option<(Duration, TimeoutCommit)>,
    },
}

/// Counters of injected faults (shown by `GET /__sim/faults`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct FaultStats {
    pub requests: u64,
    pub injected_502: u64,
    pub injected_503: u64,
    pub injected_429: u64,
    pub rate_limited: u64,
    pub timeouts: u64,
    pub serialization_failures: u64,
    pub serialization_surfaced: u64,
}

struct State {
    config: FaultConfig,
    rng: StdRng,
    tokens: f64,
    refilled: Instant,
    injected: u64,
    stats: FaultStats,
}

/// The live fault-injection state.
pub struct Chaos {
    state: Mutex<State>,
}

impl Chaos {
    pub fn new(config: FaultConfig) -> Chaos {
        Chaos {
            state: Mutex::new(State::fresh(config)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn config(&self) -> FaultConfig {
        self.lock().config.clone()
    }

    pub fn stats(&self) -> FaultStats {
        self.lock().stats.clone()
    }

    /// Replaces the settings; the RNG restarts from the new seed.
    pub fn set(&self, config: FaultConfig) {
        *self.lock() = State::fresh(config);
    }

    /// Decides the fate of one request.
    pub fn verdict(&self) -> Verdict {
        let mut s = self.lock();
        s.stats.requests += 1;
        let c = s.config.clone();
        // the rate limit is not an injected fault: it always applies
        if c.rate_limit_rps > 0.0 {
            let now = Instant::now();
            let burst = f64::from(c.rate_limit_burst.max(1));
            let elapsed = now.duration_since(s.refilled).as_secs_f64();
            s.tokens = (s.tokens + elapsed * c.rate_limit_rps).min(burst);
            s.refilled = now;
            if s.tokens >= 1.0 {
                s.tokens -= 1.0;
            } else {
                s.stats.rate_limited += 1;
                let wait = ((1.0 - s.tokens) / c.rate_limit_rps).ceil().max(1.0);
                return Verdict::TooMany {
                    retry_after_s: wait as u64,
                };
            }
        }
        let exhausted = c.max_faults.is_some_and(|m| s.injected >= m);
        if !exhausted {
            if s.roll(c.rate_502) {
                s.injected += 1;
                s.stats.injected_502 += 1;
                return Verdict::Status(502);
            }
            if s.roll(c.rate_503) {
                s.injected += 1;
                s.stats.injected_503 += 1;
                return Verdict::Status(503);
            }
            if s.roll(c.rate_429) {
                s.injected += 1;
                s.stats.injected_429 += 1;
                return Verdict::TooMany {
                    retry_after_s: c.retry_after_s,
                };
            }
        }
        let jitter = if c.jitter_ms > 0 {
            s.rng.random_range(0..=c.jitter_ms)
        } else {
            0
        };
        let delay = Duration::from_millis(c.latency_ms + jitter);
        let hold = if !exhausted && s.roll(c.timeout_rate) {
            s.injected += 1;
            s.stats.timeouts += 1;
            Some((Duration::from_millis(c.timeout_hold_ms), c.timeout_commit))
        } else {
            None
        };
        Verdict::Proceed { delay, hold }
    }

    /// Whether attempt number `attempt` (0-based) of a write call hits a
    /// serialization failure, and if so how long to back off before the
    /// next attempt (`None` = surface the error now).
    pub fn serialization(&self, attempt: u32) -> Option<Option<Duration>> {
        let mut s = self.lock();
        let c = s.config.clone();
        if c.serialization_rate <= 0.0 || c.max_faults.is_some_and(|m| s.injected >= m) {
            return None;
        }
        if !s.roll(c.serialization_rate) {
            return None;
        }
        s.injected += 1;
        s.stats.serialization_failures += 1;
        let last = attempt + 1 >= c.serialization_max_tries.max(1);
        if c.serialization_mode == SerializationMode::Surface || last {
            s.stats.serialization_surfaced += 1;
            return Some(None);
        }
        let cap = c
            .serialization_backoff_ms
            .saturating_mul(1 << attempt.min(16));
        let wait = if cap > 0 {
            s.rng.random_range(0..=cap)
        } else {
            0
        };
        Some(Some(Duration::from_millis(wait)))
    }
}

impl State {
    fn fresh(config: FaultConfig) -> State {
        State {
            rng: StdRng::seed_from_u64(config.seed),
            tokens: f64::from(config.rate_limit_burst.max(1)),
            refilled: Instant::now(),
            injected: 0,
            stats: FaultStats::default(),
            config,
        }
    }

    fn roll(&mut self, rate: f64) -> bool {
        if rate <= 0.0 {
            return false;
        }
        if rate >= 1.0 {
            return true;
        }
        self.rng.random_bool(rate)
    }
}

/// The error of a transaction that lost a serialization conflict (what
/// psycopg2 raises on PostgreSQL's `40001` under REPEATABLE READ, and what
/// Odoo lets through once its retries are exhausted).
pub fn serialization_failure() -> crate::Fault {
    crate::Fault::new(
        "psycopg2.errors.SerializationFailure",
        "could not serialize access due to concurrent update\n",
    )
}

/// Whether a method changes data (and so can hit a serialization failure).
pub fn is_write(method: &str) -> bool {
    !matches!(
        method,
        "read"
            | "search"
            | "search_read"
            | "search_count"
            | "fields_get"
            | "name_search"
            | "name_get"
            | "exists"
            | "default_get"
            | "read_group"
            | "formatted_read_group"
            | "web_search_read"
            | "web_read"
            | "check_object_reference"
            | "address_get"
            | "onchange"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_faults() {
        let cfg = FaultConfig {
            rate_503: 0.3,
            seed: 42,
            ..FaultConfig::default()
        };
        let run = || {
            let c = Chaos::new(cfg.clone());
            (0..100).map(|_| c.verdict()).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
        let n = run().iter().filter(|v| **v == Verdict::Status(503)).count();
        assert!((15..=45).contains(&n), "{n}");
    }

    #[test]
    fn spec_parses() {
        let c = FaultConfig::parse_spec("latency_ms=20, rate_503=0.5,serialization_mode=surface")
            .unwrap();
        assert_eq!(c.latency_ms, 20);
        assert_eq!(c.rate_503, 0.5);
        assert_eq!(c.serialization_mode, SerializationMode::Surface);
        assert!(FaultConfig::parse_spec("nope=1").is_err());
        let m = c.merged(&serde_json::json!({"rate_503": 0})).unwrap();
        assert_eq!(m.rate_503, 0.0);
        assert!(c.merged(&serde_json::json!({"rate_503": 2})).is_err());
    }

    #[test]
    fn token_bucket_limits() {
        let c = Chaos::new(FaultConfig {
            rate_limit_rps: 1.0,
            rate_limit_burst: 2,
            ..FaultConfig::default()
        });
        assert!(matches!(c.verdict(), Verdict::Proceed { .. }));
        assert!(matches!(c.verdict(), Verdict::Proceed { .. }));
        assert_eq!(c.verdict(), Verdict::TooMany { retry_after_s: 1 });
    }
}
