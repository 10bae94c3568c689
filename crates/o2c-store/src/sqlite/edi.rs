//! EDI control numbers and PO tracking in SQLite. Every allocation runs in
//! one `BEGIN IMMEDIATE` transaction, which holds the database's write lock
//! from its first statement: two allocators (two stores on one file too)
//! take turns, so neither can hand out the other's number.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, from_ts, json_text, parse_json, ts};
use crate::edi_rows::{EdiColumns, PO_COLUMNS, lost_save, next_numbers, numbers, po_record};
use crate::ports::{EdiNumbers, EdiPoClose, EdiPoRecord, EdiState, Result};

/// SQLite's columns as this store writes them: `open` as 0 or 1, `track`
/// as JSON text, times as microseconds since the epoch.
impl EdiColumns for SqliteRow {
    fn int(&self, column: &str) -> Result<i64> {
        Ok(self.try_get(column)?)
    }

    fn text(&self, column: &str) -> Result<String> {
        Ok(self.try_get(column)?)
    }

    fn flag(&self, column: &str) -> Result<bool> {
        Ok(self.try_get::<i64, _>(column)? != 0)
    }

    fn json(&self, column: &str) -> Result<Value> {
        parse_json(self.try_get(column)?)
    }

    fn time(&self, column: &str) -> Result<DateTime<Utc>> {
        from_ts(self.try_get(column)?)
    }
}

#[async_trait]
impl EdiState for SqliteStore {
    async fn edi_document_numbers(
        &self,
        partner: &str,
        document: &str,
        at: DateTime<Utc>,
    ) -> Result<EdiNumbers> {
        let mut tx = self.begin_write().await?;
        let existing = sqlx::query(
            "SELECT interchange, grp, txn, built_at FROM edi_documents \
             WHERE partner = ? AND document = ?",
        )
        .bind(partner)
        .bind(document)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            return numbers(&row);
        }
        let last =
            sqlx::query("SELECT interchange, grp, txn FROM edi_control_numbers WHERE partner = ?")
                .bind(partner)
                .fetch_optional(&mut *tx)
                .await?;
        let last = match last {
            Some(row) => [row.int("interchange")?, row.int("grp")?, row.int("txn")?],
            None => [0, 0, 0],
        };
        let next = next_numbers(partner, last)?;
        sqlx::query(
            "INSERT INTO edi_control_numbers (partner, interchange, grp, txn) VALUES (?, ?, ?, ?) \
             ON CONFLICT (partner) DO UPDATE SET interchange = excluded.interchange, \
             grp = excluded.grp, txn = excluded.txn",
        )
        .bind(partner)
        .bind(next[0])
        .bind(next[1])
        .bind(next[2])
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(
            "INSERT INTO edi_documents (partner, document, interchange, grp, txn, built_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING interchange, grp, txn, built_at",
        )
        .bind(partner)
        .bind(document)
        .bind(next[0])
        .bind(next[1])
        .bind(next[2])
        .bind(ts(at))
        .fetch_one(&mut *tx)
        .await?;
        let allocated = numbers(&row)?;
        tx.commit().await?;
        Ok(allocated)
    }

    async fn raise_edi_counters(
        &self,
        partner: &str,
        interchange: i64,
        group: i64,
        set: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO edi_control_numbers (partner, interchange, grp, txn) VALUES (?, ?, ?, ?) \
             ON CONFLICT (partner) DO UPDATE SET \
             interchange = MAX(interchange, excluded.interchange), \
             grp = MAX(grp, excluded.grp), txn = MAX(txn, excluded.txn)",
        )
        .bind(partner)
        .bind(interchange)
        .bind(group)
        .bind(set)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn load_edi_po(&self, partner: &str, po_number: &str) -> Result<Option<EdiPoRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {PO_COLUMNS} FROM edi_po_tracks WHERE partner = ? AND po_number = ?"
        ))
        .bind(partner)
        .bind(po_number)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(po_record).transpose()
    }

    async fn save_edi_po(
        &self,
        partner: &str,
        po_number: &str,
        open: bool,
        track: &Value,
        received_at: DateTime<Utc>,
        expected_version: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let written = match expected_version {
            None => sqlx::query(
                "INSERT INTO edi_po_tracks (partner, po_number, open, track, version, received_at, updated_at) \
                 VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT (partner, po_number) DO NOTHING",
            )
            .bind(partner)
            .bind(po_number)
            .bind(i64::from(open))
            .bind(json_text(track)?)
            .bind(ts(received_at))
            .bind(ts(at))
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            Some(version) => sqlx::query(
                "UPDATE edi_po_tracks SET open = ?, track = ?, version = version + 1, updated_at = ? \
                 WHERE partner = ? AND po_number = ? AND version = ?",
            )
            .bind(i64::from(open))
            .bind(json_text(track)?)
            .bind(ts(at))
            .bind(partner)
            .bind(po_number)
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        };
        if written != 1 {
            return Err(lost_save(partner, po_number));
        }
        tx.commit().await?;
        Ok(expected_version.map_or(1, |v| v + 1))
    }

    async fn close_edi_po(&self, close: EdiPoClose) -> Result<i64> {
        // Dropping `tx` on an early return writes nothing.
        let mut tx = self.begin_write().await?;
        let written = sqlx::query(
            "UPDATE edi_po_tracks SET open = 0, track = ?, version = version + 1, updated_at = ? \
             WHERE partner = ? AND po_number = ? AND version = ?",
        )
        .bind(json_text(&close.track)?)
        .bind(ts(close.at))
        .bind(&close.partner)
        .bind(&close.po_number)
        .bind(close.expected_version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if written != 1 {
            return Err(lost_save(&close.partner, &close.po_number));
        }
        if let Some(alert) = &close.alert {
            super::exceptions::close_if_open_in_tx(&mut tx, alert, close.at).await?;
        }
        super::audit::append_in_tx(&mut tx, std::slice::from_ref(&close.audit)).await?;
        tx.commit().await?;
        Ok(close.expected_version + 1)
    }

    async fn open_edi_pos(&self, partner: &str, limit: i64) -> Result<Vec<EdiPoRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {PO_COLUMNS} FROM edi_po_tracks WHERE partner = ? AND open = 1 \
             ORDER BY received_at, po_number LIMIT ?"
        ))
        .bind(partner)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(po_record).collect()
    }
}
