//! The SQLite store: one file in WAL mode with `synchronous=FULL`.
//!
//! SQLite has a single writer, so the store has a single write connection
//! (a pool of one) and every write transaction starts with `BEGIN IMMEDIATE`
//! on it: writes queue in the pool instead of failing with `SQLITE_BUSY` on a
//! lock upgrade. Reads go to a separate pool and see the last commit (WAL
//! readers never block the writer).
//!
//! Column conventions: UUIDs as hyphenated TEXT, JSON as TEXT, timestamps as
//! INTEGER microseconds since the Unix epoch (UTC).

mod api_keys;
mod audit;
mod cursors;
mod edi;
mod exceptions;
mod fingerprints;
mod inbox;
mod jobs;
mod journal;
mod outbox;
mod steps;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

use crate::error::StoreError;
use crate::ports::{Result, Store};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a connection waits on a lock held by another process before
/// `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const READ_CONNECTIONS: u32 = 4;

#[derive(Debug, Clone)]
pub struct SqliteStore {
    write: SqlitePool,
    read: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating when missing) the database named by a `sqlite:` URL
    /// or a plain file path, and applies the migrations.
    pub async fn open(url_or_path: &str) -> Result<Self> {
        let options = if url_or_path.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url_or_path)?
        } else {
            SqliteConnectOptions::new().filename(Path::new(url_or_path))
        };
        let in_memory = url_or_path.contains(":memory:") || url_or_path.contains("mode=memory");
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);

        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&write).await?;

        // An in-memory database exists once per connection: share the writer.
        let read = if in_memory {
            write.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(READ_CONNECTIONS)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await?
        };
        Ok(SqliteStore { write, read })
    }

    /// The single write connection's pool (one connection).
    pub fn write_pool(&self) -> &SqlitePool {
        &self.write
    }

    /// The readers' pool.
    pub fn read_pool(&self) -> &SqlitePool {
        &self.read
    }

    /// Closes both pools (checkpoints happen on the last close).
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// A write transaction on the single writer, holding the write lock from
    /// its first instruction.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }
}

// ---------------------------------------------------------------- codecs

pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_ts(v: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(v)
        .ok_or_else(|| StoreError::Serialization(format!("timestamp out of range: {v}")))
}

pub(crate) fn from_opt_ts(v: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    v.map(from_ts).transpose()
}

pub(crate) fn uuid_text(u: Uuid) -> String {
    u.hyphenated().to_string()
}

pub(crate) fn parse_uuid(s: &str) -> Result<Uuid> {
    Ok(Uuid::parse_str(s)?)
}

pub(crate) fn parse_opt_uuid(s: Option<String>) -> Result<Option<Uuid>> {
    s.as_deref().map(parse_uuid).transpose()
}

pub(crate) fn json_text(v: &Value) -> Result<String> {
    Ok(serde_json::to_string(v)?)
}

pub(crate) fn parse_json(s: &str) -> Result<Value> {
    Ok(serde_json::from_str(s)?)
}

pub(crate) fn parse_opt_json(s: Option<String>) -> Result<Option<Value>> {
    s.as_deref().map(parse_json).transpose()
}
