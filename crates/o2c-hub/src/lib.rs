//! o2c-hub: the runtime at the edge of the pure core. It accepts orders over
//! HTTP into a durable inbox (grouped commits), runs the order workflow in
//! workers (per-order ordering, bounded concurrency, retries, DLQ), talks to
//! the ERP through a port, and publishes events through a transactional
//! outbox.

pub mod api;
pub mod app;
pub mod auth;
pub mod bus;
pub mod channel_change;
pub mod companies;
pub mod config;
pub mod correlation;
pub mod crash;
pub mod edi;
pub mod erp;
pub mod ingest;
pub mod intake;
pub mod operations;
pub mod pricelists;
pub mod problem;
pub mod pull;
pub mod replay;
pub mod retry;
pub mod schema_check;
pub mod validation;
pub mod worker;
pub mod workflow;

pub use app::{RunningHub, StartError, start};
pub use config::HubConfig;
