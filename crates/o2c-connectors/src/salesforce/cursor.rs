//! The `SystemModstamp` cursor of the Salesforce pull.
//!
//! `SystemModstamp` has millisecond text but a record committed late can
//! carry a stamp older than one already seen (the stamp is taken when the
//! transaction starts), so each pull asks `SystemModstamp >= high_water -
//! overlap` and the cursor remembers the `(Id, SystemModstamp)` versions it
//! returned inside that window: the overlap never yields a version twice,
//! and a record changed again (new stamp) comes back.
//!
//! Pure: no clock, no I/O.

#[cfg(test)]
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::version_cursor::{StampSource, VersionCursor};

/// Salesforce's `SystemModstamp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModstampSource;

impl StampSource for ModstampSource {
    fn parse(text: &str) -> Option<DateTime<Utc>> {
        parse_modstamp(text)
    }
}

/// Where the next Salesforce pull starts: `(Id, SystemModstamp)` versions
/// over a `SystemModstamp >=` high water.
pub type ModstampCursor = VersionCursor<ModstampSource>;

/// Salesforce's REST datetime (`2024-05-01T10:00:00.000+0000`), or RFC 3339.
pub fn parse_modstamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.fZ")
                .ok()
                .map(|n| n.and_utc())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        parse_modstamp(text).expect("date")
    }

    #[test]
    fn salesforce_datetimes_parse() {
        assert_eq!(
            at("2024-05-01T10:00:00.000+0000"),
            at("2024-05-01T10:00:00Z")
        );
        assert_eq!(
            at("2024-05-01T12:00:00.250+0200"),
            at("2024-05-01T10:00:00.250Z")
        );
        assert!(parse_modstamp("yesterday").is_none());
    }

    #[test]
    fn overlap_keeps_returned_versions_until_they_leave_the_window() {
        let overlap = Duration::from_secs(60);
        let start = ModstampCursor::starting_at(at("2024-05-01T10:00:00Z"));
        assert_eq!(start.query_start(overlap), at("2024-05-01T09:59:00Z"));
        let a = "2024-05-01T10:00:30.000+0000";
        let next = start.advance([("801A", a, at(a))], overlap);
        assert_eq!(next.high_water, at(a));
        assert!(next.has_seen("801A", a));
        assert!(!next.has_seen("801A", "2024-05-01T10:01:00.000+0000"));
        let b = "2024-05-01T10:05:00.000+0000";
        let later = next.advance([("801B", b, at(b))], overlap);
        assert!(!later.has_seen("801A", a), "left the window");
        assert!(later.has_seen("801B", b));
        assert_eq!(later.advance([], overlap), later);
        let json = serde_json::to_string(&later).expect("json");
        assert_eq!(
            serde_json::from_str::<ModstampCursor>(&json).expect("back"),
            later
        );
    }
}
