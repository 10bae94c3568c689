//! o2c's durable store: inbox, journal + order projection, outbox, jobs and
//! dead-letter queue, exceptions, hash-chained audit log and API keys, behind
//! the narrow ports of [`ports`], with two implementations:
//!
//! - [`SqliteStore`]: one file, WAL, `synchronous=FULL`, a single write
//!   connection (every write transaction is `BEGIN IMMEDIATE` on it) and a
//!   pool of readers. The embedded default.
//! - [`PostgresStore`]: `jsonb`, `timestamptz`, a pool of connections, job
//!   claiming with `FOR UPDATE SKIP LOCKED` so several hub instances can share
//!   one database.
//!
//! [`open`] picks one from a URL and applies the migrations.

pub mod audit_hash;
mod codec;
mod edi_rows;
pub mod error;
pub mod ports;
pub mod postgres;
pub mod sqlite;

use std::sync::Arc;

pub use error::StoreError;
pub use ports::*;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Opens the store a URL names and brings its schema up to date.
///
/// - `sqlite:PATH`, `sqlite://PATH`, `sqlite::memory:` or a plain file path:
///   SQLite (the file is created when missing).
/// - `postgres://…` or `postgresql://…`: PostgreSQL. An optional
///   `schema=NAME` query parameter puts every table in that schema (created
///   when missing).
pub async fn open(url: &str) -> ports::Result<Arc<dyn Store>> {
    if is_postgres_url(url) {
        open_postgres(url).await
    } else if url.starts_with("sqlite:") || !url.contains("://") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(redact_url(url)))
    }
}

/// Opens a PostgreSQL store whose tables live in `schema` (created when
/// missing; `[A-Za-z0-9_]` only). Used for isolation in tests.
pub async fn open_postgres_with_schema(url: &str, schema: &str) -> ports::Result<Arc<dyn Store>> {
    Ok(Arc::new(
        PostgresStore::connect_with_schema(url, schema).await?,
    ))
}

async fn open_postgres(url: &str) -> ports::Result<Arc<dyn Store>> {
    Ok(Arc::new(PostgresStore::connect(url).await?))
}

fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Hides a password in a URL before it goes into an error message.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("mysql://h/db"), "mysql://h/db");
    }

    #[tokio::test]
    async fn rejects_unknown_schemes() {
        let err = open("mysql://u:pw@localhost/db")
            .await
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("unsupported store url: mysql://u:***@localhost/db")
        );
    }
}
