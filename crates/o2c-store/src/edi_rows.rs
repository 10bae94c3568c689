//! What the two backends' EDI state share: the mapping of a control-number
//! row and of a PO-track row to their records, over columns each backend
//! reads as it stores them ([`EdiColumns`]); the numbers that follow the
//! last ones; and the conflict a lost PO save reports. The SQL stays with
//! each backend.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::error::StoreError;
use crate::ports::{EDI_CONTROL_MAX, EdiNumbers, EdiPoRecord, Result};

/// The PO-track columns [`po_record`] reads, in `SELECT` order.
pub(crate) const PO_COLUMNS: &str =
    "partner, po_number, open, track, version, received_at, updated_at";

/// One row's columns as plain values: each backend converts its own column
/// types (PostgreSQL's `boolean`, `jsonb` and `timestamptz`; SQLite's
/// integers and text) here.
pub(crate) trait EdiColumns {
    fn int(&self, column: &str) -> Result<i64>;
    fn text(&self, column: &str) -> Result<String>;
    fn flag(&self, column: &str) -> Result<bool>;
    fn json(&self, column: &str) -> Result<Value>;
    fn time(&self, column: &str) -> Result<DateTime<Utc>>;
}

/// A document's control numbers (`interchange, grp, txn, built_at`).
pub(crate) fn numbers(row: &impl EdiColumns) -> Result<EdiNumbers> {
    Ok(EdiNumbers {
        interchange: row.int("interchange")?,
        group: row.int("grp")?,
        set: row.int("txn")?,
        at: row.time("built_at")?,
    })
}

/// A PO's tracking (the columns of [`PO_COLUMNS`]).
pub(crate) fn po_record(row: &impl EdiColumns) -> Result<EdiPoRecord> {
    Ok(EdiPoRecord {
        partner: row.text("partner")?,
        po_number: row.text("po_number")?,
        open: row.flag("open")?,
        track: row.json("track")?,
        version: row.int("version")?,
        received_at: row.time("received_at")?,
        updated_at: row.time("updated_at")?,
    })
}

/// The interchange, group and set numbers after `last`, or
/// [`StoreError::Exhausted`] when one would pass X12's nine digits.
pub(crate) fn next_numbers(partner: &str, last: [i64; 3]) -> Result<[i64; 3]> {
    let next = last.map(|n| n + 1);
    if next.iter().any(|n| *n > EDI_CONTROL_MAX) {
        return Err(StoreError::Exhausted(format!(
            "X12 control numbers of EDI partner {partner}"
        )));
    }
    Ok(next)
}

/// The error of a PO save that found the track created or moved on by
/// another writer.
pub(crate) fn lost_save(partner: &str, po_number: &str) -> StoreError {
    StoreError::Conflict(format!(
        "EDI PO {po_number} of {partner} was saved by another writer"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_numbers_follow_the_last_up_to_nine_digits() {
        assert_eq!(next_numbers("p", [0, 4, 9]).unwrap(), [1, 5, 10]);
        assert_eq!(
            next_numbers("p", [EDI_CONTROL_MAX - 1; 3]).unwrap(),
            [EDI_CONTROL_MAX; 3]
        );
        let err = next_numbers("acme", [1, EDI_CONTROL_MAX, 1]).unwrap_err();
        assert!(
            matches!(&err, StoreError::Exhausted(what) if what.contains("acme")),
            "{err:?}"
        );
    }
}
