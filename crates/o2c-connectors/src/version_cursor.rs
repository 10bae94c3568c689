//! A time cursor for channels pulled by "modified since": it asks from
//! `high_water - overlap` and remembers the `(id, stamp)` versions it already
//! returned inside that window, so the overlap never yields a version twice
//! while a record changed again (new stamp) comes back.
//!
//! Channels stamp modifications coarsely or late (Amazon's whole seconds and
//! lagging index, Salesforce's transaction-start `SystemModstamp`); a cursor
//! at exactly "the newest stamp seen" would skip records. Each channel says
//! how its stamps parse and how much slack its comparisons need with a
//! [`StampSource`]. Pure: no clock, no I/O.

use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// How one channel's modification stamps behave.
pub trait StampSource {
    /// The stamp text as the channel writes it.
    fn parse(text: &str) -> Option<DateTime<Utc>>;
    /// Extra time kept below the overlap window when forgetting versions
    /// (e.g. one second where the channel compares whole seconds).
    const KEEP_SLACK: Duration = Duration::ZERO;
}

/// Where the next pull starts. Serializable: the hub stores it as JSON after
/// it has stored the records of the pull that produced it (never before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct VersionCursor<S> {
    /// The newest stamp seen so far (or the starting point).
    pub high_water: DateTime<Utc>,
    /// `(id, stamp)` already returned whose stamp lies in the overlap window
    /// below `high_water`.
    #[serde(default)]
    pub seen: BTreeSet<(String, String)>,
    #[serde(skip)]
    source: PhantomData<S>,
}

impl<S: StampSource> VersionCursor<S> {
    /// A first pull: every record modified after `start`.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            high_water: start,
            seen: BTreeSet::new(),
            source: PhantomData,
        }
    }

    /// The lower bound of the next query: `high_water - overlap`.
    pub fn query_start(&self, overlap: Duration) -> DateTime<Utc> {
        let overlap = TimeDelta::from_std(overlap).unwrap_or(TimeDelta::MAX);
        self.high_water
            .checked_sub_signed(overlap)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// True when this exact version of the record was already returned.
    pub fn has_seen(&self, id: &str, stamp: &str) -> bool {
        self.seen.contains(&(id.to_owned(), stamp.to_owned()))
    }

    /// The cursor after a pull that saw `versions` (every record returned,
    /// new or not): the high water moves to the newest stamp, and only
    /// versions inside the next overlap window (plus the source's slack)
    /// are kept.
    pub fn advance<'a>(
        &self,
        versions: impl IntoIterator<Item = (&'a str, &'a str, DateTime<Utc>)>,
        overlap: Duration,
    ) -> Self {
        let mut high_water = self.high_water;
        let mut keys: Vec<(String, String, DateTime<Utc>)> = Vec::new();
        for (id, text, at) in versions {
            high_water = high_water.max(at);
            keys.push((id.to_owned(), text.to_owned(), at));
        }
        let mut next = Self::starting_at(high_water);
        let keep_from = next.query_start(overlap + S::KEEP_SLACK);
        for (id, text) in &self.seen {
            if S::parse(text).is_some_and(|at| at >= keep_from) {
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
