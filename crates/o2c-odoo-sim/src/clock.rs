//! The sandbox's clock. Real UTC time by default; a test or the admin
//! endpoint can set it to another instant, from which it keeps running at
//! real speed (a shift, never a frozen time). The ORM reads it once per
//! transaction, so records are still stamped with the transaction start
//! and shown in whole seconds as Odoo does. Replaying a recording uses it
//! to give each step the second it had when it was recorded.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{Duration, NaiveDateTime, Utc};

/// Odoo's datetime forms accepted by [`parse`].
const FORMATS: [&str; 2] = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"];

#[derive(Debug, Default)]
pub struct Clock {
    /// Microseconds added to real time (0: real time).
    offset_us: AtomicI64,
}

impl Clock {
    /// The sandbox's current UTC time.
    pub fn now(&self) -> NaiveDateTime {
        Utc::now().naive_utc() + Duration::microseconds(self.offset_us.load(Ordering::SeqCst))
    }

    /// From now on the clock reads `at`, then runs on.
    pub fn set(&self, at: NaiveDateTime) {
        let shift = at - Utc::now().naive_utc();
        let us = shift.num_microseconds().unwrap_or(0);
        self.offset_us.store(us, Ordering::SeqCst);
    }

    /// Back to real time.
    pub fn reset(&self) {
        self.offset_us.store(0, Ordering::SeqCst);
    }

    /// Whether the clock was set away from real time.
    pub fn is_shifted(&self) -> bool {
        self.offset_us.load(Ordering::SeqCst) != 0
    }
}

/// Parses `YYYY-MM-DD HH:MM:SS[.ffffff]` (or with `T`).
pub fn parse(s: &str) -> Option<NaiveDateTime> {
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s.trim(), f).ok())
}

/// The ORM's transaction-time form, `YYYY-MM-DD HH:MM:SS.ffffff`.
pub fn format(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_reads_the_instant_and_keeps_running() {
        let c = Clock::default();
        let at = parse("2026-11-27 00:40:08").expect("time");
        c.set(at);
        assert!(c.is_shifted());
        let first = c.now();
        assert!(first >= at && first - at < Duration::seconds(2), "{first}");
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(c.now() > first, "the clock runs on");
        c.reset();
        assert!(!c.is_shifted());
        assert!(c.now() - Utc::now().naive_utc() < Duration::seconds(1));
    }

    #[test]
    fn odoo_forms_parse() {
        assert!(parse("2026-11-27T01:00:22").is_some());
        assert!(parse("2026-11-27 01:00:22.123456").is_some());
        assert!(parse("27/11/2026").is_none());
        assert_eq!(
            format(parse("2026-11-27 01:00:22").expect("time")),
            "2026-11-27 01:00:22.000000"
        );
    }
}
