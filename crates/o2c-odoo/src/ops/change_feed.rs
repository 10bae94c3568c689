//! A change feed by `write_date` with an id cursor that never skips a
//! change.
//!
//! Odoo's traps (16 README §31–33, 19 README §21):
//! - `write_date` is shown truncated to whole seconds while the column
//!   keeps microseconds, so on 16–18 `write_date > last_seen` still matches
//!   rows *at* `last_seen`, and the naive keyset page 2 repeats page 1;
//! - on 19 datetime domains are second-granular (`>` means `>= s + 1`) and
//!   values with a timezone are refused;
//! - `write_date` is the transaction's START (`cr.now()`), so a slow or
//!   server-retried transaction commits rows older than rows already seen.
//!
//! So every poll re-reads an overlap window below the highest write_date
//! seen, with `>=` on a zone-less `YYYY-MM-DD HH:MM:SS` (the same meaning on
//! every version), pages by `(write_date, id)` with an explicit exclusion of
//! the ids already read at the page's last second (the recorded safe
//! variant), and deduplicates by `(id, write_date)`. The overlap must exceed
//! the longest transaction (Odoo's `limit_time_real`, 120 s by default).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Ops, rec_id, str_field};
use crate::OdooError;

/// Where a feed stands. Serializable, so the hub can persist it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedCursor {
    /// The highest `write_date` seen (`YYYY-MM-DD HH:MM:SS`, UTC).
    pub watermark: Option<String>,
    /// Seconds re-read below the watermark on every poll.
    pub overlap_secs: u64,
    /// `id → write_date` already delivered, within the overlap window.
    pub seen: BTreeMap<i64, String>,
    /// Extra fields read with each change.
    pub fields: Vec<String>,
    /// Paging inside one poll: the page's lower bound, and the ids already
    /// read at exactly that second.
    pub page_from: Option<String>,
    pub page_exclude: Vec<i64>,
}

/// One changed record.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub id: i64,
    pub write_date: String,
    /// The record with `write_date` and the cursor's fields.
    pub record: Value,
}

/// One page of a poll.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPage {
    pub changes: Vec<Change>,
    /// More rows are waiting: poll again now.
    pub more: bool,
}

impl FeedCursor {
    /// A feed from the beginning of time.
    pub fn new(overlap: Duration) -> Self {
        FeedCursor {
            overlap_secs: overlap.as_secs(),
            ..FeedCursor::default()
        }
    }

    /// A feed from `write_date` `since` (inclusive).
    pub fn starting_at(since: &str, overlap: Duration) -> Self {
        FeedCursor {
            watermark: Some(since.to_string()),
            overlap_secs: overlap.as_secs(),
            ..FeedCursor::default()
        }
    }

    pub fn with_fields(mut self, fields: &[&str]) -> Self {
        self.fields = fields.iter().map(|s| s.to_string()).collect();
        self
    }

    fn window_start(&self) -> Option<String> {
        let w = self.watermark.as_deref()?;
        let secs = parse_odoo_datetime(w)?;
        Some(format_odoo_datetime(secs - self.overlap_secs as i64))
    }

    /// Takes one page of rows (ordered `write_date asc, id asc`) and returns
    /// the changes not delivered before, updating the cursor.
    pub fn absorb(&mut self, rows: Vec<Value>, limit: usize) -> Result<FeedPage, OdooError> {
        let full = rows.len() >= limit && limit > 0;
        let mut changes = Vec::new();
        let mut last: Option<String> = None;
        let mut last_ids: Vec<i64> = Vec::new();
        for r in rows {
            let id = rec_id(&r)?;
            let wd = str_field(&r, "write_date");
            if wd.is_empty() {
                return Err(OdooError::protocol(format!(
                    "record {id} has no write_date"
                )));
            }
            if last.as_deref() != Some(wd.as_str()) {
                last = Some(wd.clone());
                last_ids.clear();
            }
            last_ids.push(id);
            if self.watermark.as_deref().is_none_or(|w| wd.as_str() > w) {
                self.watermark = Some(wd.clone());
            }
            if self.seen.get(&id) == Some(&wd) {
                continue;
            }
            self.seen.insert(id, wd.clone());
            changes.push(Change {
                id,
                write_date: wd,
                record: r,
            });
        }
        if full {
            let last = last.unwrap_or_default();
            if self.page_from.as_deref() == Some(last.as_str()) {
                self.page_exclude.extend(last_ids);
            } else {
                self.page_exclude = last_ids;
            }
            self.page_from = Some(last);
        } else {
            self.page_from = None;
            self.page_exclude.clear();
            // forget what fell out of the window: it is never re-read
            if let Some(start) = self.window_start() {
                self.seen.retain(|_, wd| *wd >= start);
            }
        }
        Ok(FeedPage {
            changes,
            more: full,
        })
    }

    /// The domain of the next page.
    pub fn next_domain(&self) -> Value {
        match &self.page_from {
            Some(from) => {
                if self.page_exclude.is_empty() {
                    json!([["write_date", ">=", from]])
                } else {
                    json!([
                        ["write_date", ">=", from],
                        ["id", "not in", self.page_exclude]
                    ])
                }
            }
            None => match self.window_start() {
                Some(start) => json!([["write_date", ">=", start]]),
                None => json!([]),
            },
        }
    }
}

impl Ops<'_> {
    /// One page of changes of `model` after the cursor; call again while
    /// `more` is true.
    pub async fn poll_changes(
        &self,
        model: &str,
        cursor: &mut FeedCursor,
        limit: usize,
    ) -> Result<FeedPage, OdooError> {
        let mut fields: Vec<&str> = vec!["write_date"];
        fields.extend(cursor.fields.iter().map(String::as_str));
        let rows = self
            .search_read(
                model,
                cursor.next_domain(),
                &fields,
                Some("write_date asc, id asc"),
                Some(limit.max(1)),
            )
            .await?;
        cursor.absorb(rows, limit.max(1))
    }

    /// A cursor at the newest `write_date` of `model` now (nothing before it
    /// is reported, except what the overlap re-reads).
    pub async fn feed_cursor_now(
        &self,
        model: &str,
        overlap: Duration,
    ) -> Result<FeedCursor, OdooError> {
        let newest = self
            .search_read(
                model,
                json!([]),
                &["write_date"],
                Some("write_date desc, id desc"),
                Some(1),
            )
            .await?;
        Ok(
            match newest
                .first()
                .and_then(|r| r.get("write_date"))
                .and_then(Value::as_str)
            {
                Some(w) => FeedCursor::starting_at(w, overlap),
                None => FeedCursor::new(overlap),
            },
        )
    }
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]` → seconds since the epoch (UTC).
pub fn parse_odoo_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = s.split_once([' ', 'T'])?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, dd) = (d.next()??, d.next()??, d.next()??);
    let time = time.split('.').next()?;
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next().unwrap_or(Some(0))?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&dd) {
        return None;
    }
    Some(days_from_civil(y, m, dd) * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Seconds since the epoch → `YYYY-MM-DD HH:MM:SS` (no zone: 19 refuses one).
pub fn format_odoo_datetime(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

// Howard Hinnant's civil-calendar algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, wd: &str) -> Value {
        json!({"id": id, "write_date": wd})
    }

    #[test]
    fn datetimes_round_trip() {
        let s = "2026-11-27 00:24:47";
        let t = parse_odoo_datetime(s).unwrap();
        assert_eq!(format_odoo_datetime(t), s);
        assert_eq!(
            format_odoo_datetime(parse_odoo_datetime("2024-03-01 00:00:10").unwrap() - 20),
            "2024-02-29 23:59:50"
        );
        assert_eq!(parse_odoo_datetime("2026-11-27 00:24:47.123456"), Some(t));
        assert_eq!(parse_odoo_datetime("garbage"), None);
    }

    #[test]
    fn pages_sharing_one_second_neither_repeat_nor_skip() {
        // three rows at the same displayed second, page size 2: the naive
        // keyset would repeat page 1 on 16–18 (h: feed.*.keyset.page2)
        let mut c = FeedCursor::new(Duration::from_secs(60));
        assert_eq!(c.next_domain(), json!([]));
        let p1 = c
            .absorb(
                vec![row(1, "2026-11-27 00:24:47"), row(2, "2026-11-27 00:24:47")],
                2,
            )
            .unwrap();
        assert!(p1.more);
        assert_eq!(p1.changes.len(), 2);
        assert_eq!(
            c.next_domain(),
            json!([
                ["write_date", ">=", "2026-11-27 00:24:47"],
                ["id", "not in", [1, 2]]
            ])
        );
        let p2 = c.absorb(vec![row(3, "2026-11-27 00:24:47")], 2).unwrap();
        assert!(!p2.more);
        assert_eq!(p2.changes.iter().map(|c| c.id).collect::<Vec<_>>(), vec![3]);
        // next poll re-reads the overlap window, and drops what it saw
        assert_eq!(
            c.next_domain(),
            json!([["write_date", ">=", "2026-11-27 00:23:47"]])
        );
        let again = c
            .absorb(
                vec![
                    row(1, "2026-11-27 00:24:47"),
                    row(2, "2026-11-27 00:24:47"),
                    row(3, "2026-11-27 00:24:47"),
                ],
                10,
            )
            .unwrap();
        assert!(again.changes.is_empty());
    }

    #[test]
    fn a_late_commit_stamped_in_the_past_is_not_skipped() {
        let mut c = FeedCursor::new(Duration::from_secs(120));
        c.absorb(vec![row(10, "2026-11-27 01:00:00")], 100).unwrap();
        // a transaction that started at 00:59:30 commits after we polled
        let p = c
            .absorb(
                vec![
                    row(11, "2026-11-27 00:59:30"),
                    row(10, "2026-11-27 01:00:00"),
                ],
                100,
            )
            .unwrap();
        assert_eq!(p.changes.iter().map(|c| c.id).collect::<Vec<_>>(), vec![11]);
        assert_eq!(c.watermark.as_deref(), Some("2026-11-27 01:00:00"));
        // a second change of 10 is a new change
        let p = c.absorb(vec![row(10, "2026-11-27 01:00:05")], 100).unwrap();
        assert_eq!(p.changes.len(), 1);
    }

    #[test]
    fn seen_is_pruned_outside_the_window() {
        let mut c = FeedCursor::new(Duration::from_secs(10));
        c.absorb(vec![row(1, "2026-11-27 01:00:00")], 100).unwrap();
        c.absorb(vec![row(2, "2026-11-27 01:05:00")], 100).unwrap();
        assert!(!c.seen.contains_key(&1));
        assert!(c.seen.contains_key(&2));
        let json = serde_json::to_string(&c).unwrap();
        let back: FeedCursor = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }
}
