//! The store's typed errors.

use std::borrow::Cow;

use sqlx::error::DatabaseError;
use thiserror::Error;
use uuid::Uuid;

#[derive(Debug, Error)]
pub enum StoreError {
    /// Any driver error: connection, pool, constraint, SQL.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    /// The schema migrations could not be applied.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),

    /// Optimistic concurrency: the order's projection moved on since the
    /// caller read it. Nothing was written.
    #[error("version conflict on order {order_id}: expected {expected}, found {actual}")]
    VersionConflict {
        order_id: Uuid,
        expected: i64,
        actual: i64,
    },

    /// The caller no longer holds the job's lease (it expired and another
    /// worker took it, or the job was finished). Nothing was written.
    #[error("lease lost on job {job_id}")]
    LeaseLost { job_id: i64 },

    /// Someone else changed the row first (e.g. an exception already closed).
    /// Nothing was written.
    #[error("conflict: {0}")]
    Conflict(String),

    /// The row the operation addresses does not exist.
    #[error("not found")]
    NotFound,

    /// A value could not be encoded for, or decoded from, the database
    /// (JSON, UUID, timestamp, enum text).
    #[error("serialization error: {0}")]
    Serialization(String),

    /// A counter reached its limit (an X12 control number past 999999999).
    #[error("exhausted: {0}")]
    Exhausted(String),

    /// `open` got a URL it does not know how to serve.
    #[error("unsupported store url: {0}")]
    UnsupportedUrl(String),
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Serialization(e.to_string())
    }
}

impl From<uuid::Error> for StoreError {
    fn from(e: uuid::Error) -> Self {
        StoreError::Serialization(format!("invalid uuid: {e}"))
    }
}

impl StoreError {
    /// True for faults worth retrying as is: lost or refused connections,
    /// pool timeouts, I/O errors, SQLite `BUSY`/`LOCKED`, PostgreSQL
    /// serialization failures, deadlocks, lock timeouts and shutdowns.
    /// Constraint violations, bad SQL, version conflicts and lost leases are
    /// not transient (retrying the same thing cannot succeed).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database(e) => sqlx_error_is_transient(e),
            StoreError::Migration(sqlx::migrate::MigrateError::Execute(e)) => {
                sqlx_error_is_transient(e)
            }
            _ => false,
        }
    }

    /// The SQLSTATE (PostgreSQL) or extended result code (SQLite) of a
    /// database error, when there is one.
    pub fn database_code(&self) -> Option<Cow<'_, str>> {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => db.code(),
            _ => None,
        }
    }

    /// True when the error is a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => db.is_unique_violation(),
            _ => false,
        }
    }
}

fn sqlx_error_is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            if let Some(sqlite) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                // Primary result code is the low byte of the extended code:
                // 5 = SQLITE_BUSY, 6 = SQLITE_LOCKED (and their variants).
                return sqlite
                    .code()
                    .and_then(|c| c.parse::<i64>().ok())
                    .is_some_and(|c| matches!(c & 0xff, 5 | 6));
            }
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                return pg_sqlstate_is_transient(pg.code());
            }
            false
        }
        _ => false,
    }
}

/// PostgreSQL SQLSTATEs worth a retry.
pub(crate) fn pg_sqlstate_is_transient(code: &str) -> bool {
    code.starts_with("08") // connection exception
        || matches!(
            code,
            "40001" // serialization_failure
                | "40P01" // deadlock_detected
                | "55P03" // lock_not_available
                | "57014" // query_canceled (statement timeout)
                | "57P01" // admin_shutdown
                | "57P02" // crash_shutdown
                | "57P03" // cannot_connect_now
                | "53300" // too_many_connections
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_classification() {
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_transient());
        assert!(!StoreError::NotFound.is_transient());
        assert!(!StoreError::LeaseLost { job_id: 1 }.is_transient());
        assert!(pg_sqlstate_is_transient("40001"));
        assert!(pg_sqlstate_is_transient("08006"));
        assert!(!pg_sqlstate_is_transient("23505"));
    }
}
