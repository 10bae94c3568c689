//! The runtime's settings. The binary layers them (defaults, `o2c.toml`,
//! `O2C_*` environment); the hub only sees the validated result.

use serde::Deserialize;

use crate::ingest::IngestConfig;
use crate::retry::RetryPolicy;
use crate::worker::WorkerConfig;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct HubConfig {
    /// Where the HTTP API listens.
    pub listen: String,
    /// `sqlite://path` (or a path) for the embedded store, `postgres://…` to scale out.
    pub store_url: String,
    /// Request bodies larger than this get 413.
    pub max_body_bytes: usize,
    /// Acceptances grouped into one commit at most.
    pub ingest_max_batch: usize,
    /// Concurrent committing ingest writers (SQLite: 1).
    pub ingest_writers: usize,
    pub workers: WorkerConfig,
    pub retry: RetryPolicy,
    /// Runs workers in this process (off for an API-only instance).
    pub run_workers: bool,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            store_url: "sqlite://o2c.db".into(),
            max_body_bytes: 1024 * 1024,
            ingest_max_batch: 512,
            ingest_writers: 1,
            workers: WorkerConfig::default(),
            retry: RetryPolicy::default(),
            run_workers: true,
        }
    }
}

impl HubConfig {
    pub fn ingest(&self, backend: &str) -> IngestConfig {
        IngestConfig {
            max_batch: self.ingest_max_batch.max(1),
            // SQLite has one writer; more writers would only queue on its lock.
            writers: if backend == "sqlite" {
                1
            } else {
                self.ingest_writers.max(1)
            },
            queue: 8192,
        }
    }
}
