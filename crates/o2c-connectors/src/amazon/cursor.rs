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

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Where the next pull starts. Serializable: the hub stores it as JSON after
/// it has stored the bundles of the pull that produced it (never before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullCursor {
    /// The newest `LastUpdateDate` seen so far (or the starting point).
    pub high_water: DateTime<Utc>,
    /// `(AmazonOrderId, LastUpdateDate)` already returned whose date lies in
    /// the overlap window below `high_water`.
    #[serde(default)]
    pub seen: BTreeSet<(String, String)>,
}

impl PullCursor {
    /// A first pull: every order updated after `start`.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            high_water: start,
            seen: BTreeSet::new(),
        }
    }

    /// The `LastUpdatedAfter` to ask for: `high_water - overlap`.
    pub fn query_start(&self, overlap: Duration) -> DateTime<Utc> {
        let overlap = TimeDelta::from_std(overlap).unwrap_or(TimeDelta::MAX);
        self.high_water
            .checked_sub_signed(overlap)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// True when this exact version of the order was already returned.
    pub fn has_seen(&self, order_id: &str, last_update: &str) -> bool {
        self.seen
            .contains(&(order_id.to_owned(), last_update.to_owned()))
    }

    /// The cursor after a pull that saw `versions` (every order Amazon
    /// returned, whether new or not): the high water moves to the newest
    /// date, and only keys inside the next overlap window are kept.
    pub fn advance<'a>(
        &self,
        versions: impl IntoIterator<Item = (&'a str, &'a str, DateTime<Utc>)>,
        overlap: Duration,
    ) -> PullCursor {
        let mut high_water = self.high_water;
        let mut keys: Vec<(String, String, DateTime<Utc>)> = Vec::new();
        for (id, text, at) in versions {
            high_water = high_water.max(at);
            keys.push((id.to_owned(), text.to_owned(), at));
        }
        let mut next = PullCursor {
            high_water,
            seen: BTreeSet::new(),
        };
        // Keep one extra second below the window: Amazon compares whole seconds.
        let keep_from = next.query_start(overlap + Duration::from_secs(1));
        for (id, text) in &self.seen {
            if parse_date(text).is_some_and(|at| at >= keep_from) {
                next.seen.insert((id.clone(), text.clone()));
            }
        }
        for (id, text, at) in keys {
            if at >= keep_from {
                next.seen.insert((id, text));
            }
        }
        next
    }
}

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
