//! The audit log's hash chain, defined once for both backends and for
//! verification.
//!
//! `hash = hex(sha256(prev_hash || canonical))` where `prev_hash` is the
//! previous row's hash as 64 lowercase hex characters (64 zeros before the
//! first row) and `canonical` is the JSON array
//! `[seq, actor, action, subject, details, correlation_id, at]` written with
//! no whitespace, object keys sorted by their UTF-8 bytes at every depth,
//! numbers exactly as stored, and `at` as RFC 3339 UTC with microseconds
//! (`2025-01-02T03:04:05.000006Z`).
//!
//! Both backends store `details` as this canonical text, so reading it back
//! gives the same bytes whatever the database does with JSON.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ports::{AuditRecord, AuditVerification, NewAuditEntry};

/// The `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The last row of the chain (seq 0 and [`GENESIS_HASH`] when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

impl ChainHead {
    pub fn genesis() -> Self {
        ChainHead {
            seq: 0,
            hash: GENESIS_HASH.to_string(),
        }
    }

    /// Builds the next record of the chain and advances the head to it.
    pub fn append(&mut self, entry: &NewAuditEntry) -> AuditRecord {
        let at = truncate_micros(entry.at);
        let seq = self.seq + 1;
        let prev_hash = std::mem::take(&mut self.hash);
        let hash = row_hash(
            &prev_hash,
            seq,
            &entry.actor,
            &entry.action,
            &entry.subject,
            &entry.details,
            &entry.correlation_id,
            at,
        );
        self.seq = seq;
        self.hash.clone_from(&hash);
        AuditRecord {
            seq,
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            subject: entry.subject.clone(),
            details: entry.details.clone(),
            correlation_id: entry.correlation_id.clone(),
            at,
            prev_hash,
            hash,
        }
    }
}

/// Databases keep microseconds; the hash does too.
pub fn truncate_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

pub fn format_at(at: DateTime<Utc>) -> String {
    truncate_micros(at).to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The row's canonical serialization (see the module docs).
#[allow(clippy::too_many_arguments)]
pub fn canonical_row(
    seq: i64,
    actor: &str,
    action: &str,
    subject: &str,
    details: &Value,
    correlation_id: &str,
    at: DateTime<Utc>,
) -> String {
    let mut out = String::with_capacity(128);
    out.push('[');
    out.push_str(&seq.to_string());
    for s in [actor, action, subject] {
        out.push(',');
        write_str(s, &mut out);
    }
    out.push(',');
    write_canonical(details, &mut out);
    out.push(',');
    write_str(correlation_id, &mut out);
    out.push(',');
    write_str(&format_at(at), &mut out);
    out.push(']');
    out
}

#[allow(clippy::too_many_arguments)]
pub fn row_hash(
    prev_hash: &str,
    seq: i64,
    actor: &str,
    action: &str,
    subject: &str,
    details: &Value,
    correlation_id: &str,
    at: DateTime<Utc>,
) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical_row(seq, actor, action, subject, details, correlation_id, at).as_bytes());
    hex::encode(h.finalize())
}

/// The hash a stored record should carry.
pub fn record_hash(r: &AuditRecord) -> String {
    row_hash(
        &r.prev_hash,
        r.seq,
        &r.actor,
        &r.action,
        &r.subject,
        &r.details,
        &r.correlation_id,
        r.at,
    )
}

/// Canonical JSON text of a value (sorted keys, no whitespace).
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write_canonical(val, out);
            }
            out.push('}');
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Walks the chain row by row (in seq order) and remembers the first break.
#[derive(Debug)]
pub struct ChainVerifier {
    head: ChainHead,
    rows: i64,
    broken: Option<(i64, String)>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    pub fn new() -> Self {
        ChainVerifier {
            head: ChainHead::genesis(),
            rows: 0,
            broken: None,
        }
    }

    /// Feeds the next row; returns false once the chain is broken (further
    /// rows are ignored).
    pub fn push(&mut self, r: &AuditRecord) -> bool {
        if self.broken.is_some() {
            return false;
        }
        let expected = self.head.seq + 1;
        if r.seq != expected {
            self.broken = Some((
                expected.min(r.seq),
                format!("gap in seq: expected {expected}, found {}", r.seq),
            ));
            return false;
        }
        if r.prev_hash != self.head.hash {
            self.broken = Some((
                r.seq,
                "prev_hash mismatch: does not match the previous row's hash".into(),
            ));
            return false;
        }
        let computed = record_hash(r);
        if computed != r.hash {
            self.broken = Some((
                r.seq,
                "hash mismatch: the row's content does not match its hash".into(),
            ));
            return false;
        }
        self.head = ChainHead {
            seq: r.seq,
            hash: r.hash.clone(),
        };
        self.rows += 1;
        true
    }

    pub fn finish(self) -> AuditVerification {
        match self.broken {
            Some((seq, reason)) => AuditVerification::Broken { seq, reason },
            None => AuditVerification::Intact { rows: self.rows },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn entry(n: i64) -> NewAuditEntry {
        NewAuditEntry {
            actor: "system".into(),
            action: "order.accepted".into(),
            subject: format!("order/{n}"),
            details: serde_json::from_str(r#"{"b": 1.50, "a": ["x", {"d": null, "c": true}]}"#)
                .unwrap(),
            correlation_id: "corr".into(),
            at: Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap()
                + chrono::Duration::nanoseconds(6_789),
        }
    }

    #[test]
    fn canonical_form_is_stable() {
        let e = entry(1);
        let c = canonical_row(
            1,
            &e.actor,
            &e.action,
            &e.subject,
            &e.details,
            &e.correlation_id,
            e.at,
        );
        assert_eq!(
            c,
            r#"[1,"system","order.accepted","order/1",{"a":["x",{"c":true,"d":null}],"b":1.50},"corr","2025-01-02T03:04:05.000006Z"]"#
        );
        // Key order of the input does not matter.
        let reordered: Value =
            serde_json::from_str(r#"{"a":["x",{"c":true,"d":null}],"b":1.50}"#).unwrap();
        assert_eq!(canonical_json(&reordered), canonical_json(&e.details));
        assert_eq!(canonical_json(&json!("a\"\\\n\u{1}")), r#""a\"\\\n\u0001""#);
        assert_eq!(canonical_json(&json!(1.5)), "1.5");
    }

    #[test]
    fn chain_and_verify() {
        let mut head = ChainHead::genesis();
        let rows: Vec<AuditRecord> = (1..=5).map(|n| head.append(&entry(n))).collect();
        assert_eq!(rows[0].prev_hash, GENESIS_HASH);
        assert_eq!(rows[1].prev_hash, rows[0].hash);
        let mut v = ChainVerifier::new();
        rows.iter().for_each(|r| {
            v.push(r);
        });
        assert_eq!(v.finish(), AuditVerification::Intact { rows: 5 });

        let mut tampered = rows.clone();
        tampered[2].actor = "mallory".into();
        let mut v = ChainVerifier::new();
        tampered.iter().for_each(|r| {
            v.push(r);
        });
        assert!(matches!(
            v.finish(),
            AuditVerification::Broken { seq: 3, .. }
        ));

        let mut gap = rows.clone();
        gap.remove(1);
        let mut v = ChainVerifier::new();
        gap.iter().for_each(|r| {
            v.push(r);
        });
        assert!(matches!(
            v.finish(),
            AuditVerification::Broken { seq: 2, .. }
        ));
    }
}
