//! The PostgreSQL store: `jsonb`, `timestamptz`, a pool of connections.
//!
//! Several hub instances may share one database: jobs are claimed with
//! `FOR UPDATE SKIP LOCKED`, audit appends are serialized by a transaction
//! advisory lock (so the hash chain never forks), and jobs of one queue key
//! are inserted under a per-key advisory lock (so ids of one key become
//! visible in id order and a claimer never sees a later job before an
//! earlier one).

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

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection};

use crate::error::StoreError;
use crate::ports::{Result, Store};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

const MAX_CONNECTIONS: u32 = 12;

/// Advisory lock namespaces (first key of `pg_advisory_xact_lock(int, int)`).
pub(crate) const LOCK_AUDIT: i32 = 0x6f32_6301;
pub(crate) const LOCK_JOB_KEY: i32 = 0x6f32_6302;

#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `postgres://…` (an optional `schema=NAME` query
    /// parameter selects the schema, as [`PostgresStore::connect_with_schema`])
    /// and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let (url, schema) = split_schema_param(url);
        match schema {
            Some(schema) => Self::connect_with_schema(&url, &schema).await,
            None => {
                let options = PgConnectOptions::from_str(&url)?;
                Self::connect_with_options(options).await
            }
        }
    }

    /// Connects with every table in `schema` (created when missing; the
    /// name must match `[a-z_][a-z0-9_]*`): each pooled connection starts
    /// with `search_path` set to it.
    pub async fn connect_with_schema(url: &str, schema: &str) -> Result<Self> {
        check_schema_name(schema)?;
        let (url, _) = split_schema_param(url);
        let base = PgConnectOptions::from_str(&url)?;
        let mut conn = PgConnection::connect_with(&base).await?;
        conn.execute(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"").as_str())
            .await?;
        conn.close().await?;
        Self::connect_with_options(base.options([("search_path", schema)])).await
    }

    async fn connect_with_options(options: PgConnectOptions) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PostgresStore { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Drops a schema made by [`PostgresStore::connect_with_schema`] and
/// everything in it (test clean-up).
pub async fn drop_schema(url: &str, schema: &str) -> Result<()> {
    check_schema_name(schema)?;
    let (url, _) = split_schema_param(url);
    let mut conn = PgConnection::connect_with(&PgConnectOptions::from_str(&url)?).await?;
    conn.execute(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE").as_str())
        .await?;
    conn.close().await?;
    Ok(())
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }
}

fn check_schema_name(schema: &str) -> Result<()> {
    let mut chars = schema.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && schema.len() <= 63;
    if ok {
        Ok(())
    } else {
        Err(StoreError::UnsupportedUrl(format!(
            "schema name {schema:?} must match [a-z_][a-z0-9_]* (at most 63 characters)"
        )))
    }
}

/// Removes a `schema=NAME` query parameter from a URL and returns it.
fn split_schema_param(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| match kv.strip_prefix("schema=") {
            Some(v) => {
                schema = Some(v.to_string());
                false
            }
            None => !kv.is_empty(),
        })
        .collect();
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (url, schema)
}

/// Converts a non-negative database integer into a HTTP status.
pub(crate) fn i32_status(v: Option<i32>) -> Result<u16> {
    crate::codec::status_u16(i64::from(v.unwrap_or(200)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_param_is_split_off() {
        assert_eq!(
            split_schema_param("postgres://h/db"),
            ("postgres://h/db".into(), None)
        );
        assert_eq!(
            split_schema_param("postgres://h/db?schema=t1"),
            ("postgres://h/db".into(), Some("t1".into()))
        );
        assert_eq!(
            split_schema_param("postgres://h/db?sslmode=disable&schema=t1&application_name=x"),
            (
                "postgres://h/db?sslmode=disable&application_name=x".into(),
                Some("t1".into())
            )
        );
        assert!(check_schema_name("o2c_test_1").is_ok());
        assert!(check_schema_name("Bad").is_err());
        assert!(check_schema_name("x\"; drop").is_err());
        assert!(check_schema_name("").is_err());
    }
}
