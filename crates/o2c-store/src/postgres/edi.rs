//! EDI control numbers and PO tracking in PostgreSQL, for hub instances
//! sharing one database. An allocation locks the partner's counter row
//! (`FOR UPDATE`) before it looks for the document: under READ COMMITTED
//! each statement sees the commits made before it started, so an instance
//! that waited for the lock sees the document (and the numbers) another
//! instance just recorded, and never bumps from a stale value.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;

use super::PostgresStore;
use crate::edi_rows::{EdiColumns, PO_COLUMNS, lost_save, next_numbers, numbers, po_record};
use crate::ports::{EdiNumbers, EdiPoClose, EdiPoRecord, EdiState, Result};

/// PostgreSQL's columns as they are typed: `boolean`, `jsonb`,
/// `timestamptz`.
impl EdiColumns for PgRow {
    fn int(&self, column: &str) -> Result<i64> {
        Ok(self.try_get(column)?)
    }

    fn text(&self, column: &str) -> Result<String> {
        Ok(self.try_get(column)?)
    }

    fn flag(&self, column: &str) -> Result<bool> {
        Ok(self.try_get(column)?)
    }

    fn json(&self, column: &str) -> Result<Value> {
        Ok(self.try_get::<Json<Value>, _>(column)?.0)
    }

    fn time(&self, column: &str) -> Result<DateTime<Utc>> {
        Ok(self.try_get(column)?)
    }
}

#[async_trait]
impl EdiState for PostgresStore {
    async fn edi_document_numbers(
        &self,
        partner: &str,
        document: &str,
        at: DateTime<Utc>,
    ) -> Result<EdiNumbers> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO edi_control_numbers (partner, interchange, grp, txn) \
             VALUES ($1, 0, 0, 0) ON CONFLICT (partner) DO NOTHING",
        )
        .bind(partner)
        .execute(&mut *tx)
        .await?;
        let last = sqlx::query(
            "SELECT interchange, grp, txn FROM edi_control_numbers WHERE partner = $1 FOR UPDATE",
        )
        .bind(partner)
        .fetch_one(&mut *tx)
        .await?;
        let existing = sqlx::query(
            "SELECT interchange, grp, txn, built_at FROM edi_documents \
             WHERE partner = $1 AND document = $2",
        )
        .bind(partner)
        .bind(document)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            return numbers(&row);
        }
        let next = next_numbers(
            partner,
            [last.int("interchange")?, last.int("grp")?, last.int("txn")?],
        )?;
        sqlx::query(
            "UPDATE edi_control_numbers SET interchange = $2, grp = $3, txn = $4 WHERE partner = $1",
        )
        .bind(partner)
        .bind(next[0])
        .bind(next[1])
        .bind(next[2])
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(
            "INSERT INTO edi_documents (partner, document, interchange, grp, txn, built_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING interchange, grp, txn, built_at",
        )
        .bind(partner)
        .bind(document)
        .bind(next[0])
        .bind(next[1])
        .bind(next[2])
        .bind(at)
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
        sqlx::query(
            "INSERT INTO edi_control_numbers AS c (partner, interchange, grp, txn) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (partner) DO UPDATE SET \
             interchange = GREATEST(c.interchange, EXCLUDED.interchange), \
             grp = GREATEST(c.grp, EXCLUDED.grp), txn = GREATEST(c.txn, EXCLUDED.txn)",
        )
        .bind(partner)
        .bind(interchange)
        .bind(group)
        .bind(set)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn load_edi_po(&self, partner: &str, po_number: &str) -> Result<Option<EdiPoRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {PO_COLUMNS} FROM edi_po_tracks WHERE partner = $1 AND po_number = $2"
        ))
        .bind(partner)
        .bind(po_number)
        .fetch_optional(self.pool())
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
        let written = match expected_version {
            None => sqlx::query(
                "INSERT INTO edi_po_tracks (partner, po_number, open, track, version, received_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 1, $5, $6) ON CONFLICT (partner, po_number) DO NOTHING",
            )
            .bind(partner)
            .bind(po_number)
            .bind(open)
            .bind(Json(track))
            .bind(received_at)
            .bind(at)
            .execute(self.pool())
            .await?
            .rows_affected(),
            Some(version) => sqlx::query(
                "UPDATE edi_po_tracks SET open = $1, track = $2, version = version + 1, updated_at = $3 \
                 WHERE partner = $4 AND po_number = $5 AND version = $6",
            )
            .bind(open)
            .bind(Json(track))
            .bind(at)
            .bind(partner)
            .bind(po_number)
            .bind(version)
            .execute(self.pool())
            .await?
            .rows_affected(),
        };
        if written != 1 {
            return Err(lost_save(partner, po_number));
        }
        Ok(expected_version.map_or(1, |v| v + 1))
    }

    async fn close_edi_po(&self, close: EdiPoClose) -> Result<i64> {
        // Dropping `tx` on an early return rolls it back. The track's row
        // lock (taken by the UPDATE) makes a racing closer wait and then
        // find the version moved; the audit goes last, so its chain lock
        // is held only for the commit.
        let mut tx = self.pool().begin().await?;
        let written = sqlx::query(
            "UPDATE edi_po_tracks SET open = false, track = $1, version = version + 1, updated_at = $2 \
             WHERE partner = $3 AND po_number = $4 AND version = $5",
        )
        .bind(Json(&close.track))
        .bind(close.at)
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
            "SELECT {PO_COLUMNS} FROM edi_po_tracks WHERE partner = $1 AND open \
             ORDER BY received_at, po_number LIMIT $2"
        ))
        .bind(partner)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(po_record).collect()
    }
}
