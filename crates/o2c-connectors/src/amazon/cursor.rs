//! The `LastUpdatedAfter` cursor of the Amazon order pull.
//!
//! Amazon's `LastUpdateDate` has one-second resolution and its order index
//! lags a little, so a cursor set to "the newest LastUpdateDate seen" would
//! skip an order updated in that same second but indexed after the pull.
//! Each pull therefore asks from `high_water - overlap`, and the cursor
//! remembers the `(AmazonOrderId, LastUpdateDate)` pairs it already returned
//! inside that window, so the overlap never yields a bundle twice. An order
//! updated again has a new `LastUpdateDate` and so a new key: it comes back.
//!
//! Pure: no clock, no I/O.

#[cfg(test)]
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::version_cursor::{StampSource, VersionCursor};

/// Amazon's `LastUpdateDate`: whole seconds, compared as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmazonStamps;

impl StampSource for AmazonStamps {
    fn parse(text: &str) -> Option<DateTime<Utc>> {
        parse_date(text)
    }
    // Keep one extra second below the window: Amazon compares whole seconds.
    const KEEP_SLACK: std::time::Duration = std::time::Duration::from_secs(1);
}

/// Where the next Amazon pull starts: `(AmazonOrderId, LastUpdateDate)`
/// versions over a `LastUpdatedAfter` high water.
pub type PullCursor = VersionCursor<AmazonStamps>;

/// Amazon's ISO 8601 date (`2017-01-20T19:49:35Z`).
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        parse_date(text).expect("date")
    }

    #[test]
    fn overlap_window_and_dedup_keys() {
        let overlap = Duration::from_secs(120);
        let start = PullCursor::starting_at(at("2024-05-01T10:00:00Z"));
        assert_eq!(start.query_start(overlap), at("2024-05-01T09:58:00Z"));
        let next = start.advance(
            [
                ("A", "2024-05-01T10:05:00Z", at("2024-05-01T10:05:00Z")),
                ("B", "2024-05-01T10:05:00Z", at("2024-05-01T10:05:00Z")),
                ("C", "2024-05-01T09:59:00Z", at("2024-05-01T09:59:00Z")),
            ],
            overlap,
        );
        assert_eq!(next.high_water, at("2024-05-01T10:05:00Z"));
        assert!(next.has_seen("A", "2024-05-01T10:05:00Z"));
        assert!(next.has_seen("B", "2024-05-01T10:05:00Z"));
        // Outside the next window: Amazon will not return it again.
        assert!(!next.has_seen("C", "2024-05-01T09:59:00Z"));
        // A newer version of A is a new key.
        assert!(!next.has_seen("A", "2024-05-01T10:06:00Z"));
        // Nothing new: the cursor stays, keys stay.
        assert_eq!(next.advance([], overlap), next);
        let json = serde_json::to_string(&next).expect("json");
        assert_eq!(
            serde_json::from_str::<PullCursor>(&json).expect("back"),
            next
        );
    }

    #[test]
    fn old_keys_leave_the_window() {
        let overlap = Duration::from_secs(60);
        let first = PullCursor::starting_at(at("2024-05-01T10:00:00Z")).advance(
            [("A", "2024-05-01T10:00:30Z", at("2024-05-01T10:00:30Z"))],
            overlap,
        );
        let later = first.advance(
            [("B", "2024-05-01T10:10:00Z", at("2024-05-01T10:10:00Z"))],
            overlap,
        );
        assert!(!later.has_seen("A", "2024-05-01T10:00:30Z"));
        assert!(later.has_seen("B", "2024-05-01T10:10:00Z"));
        assert_eq!(later.seen.len(), 1);
    }
}
