//! The Odoo connector: one typed client ([`OdooClient`]) over Odoo's four
//! external protocols (JSON-RPC, XML-RPC, Odoo 19's JSON-2 and the web
//! client's session routes; see [`Protocol`]), with typed errors
//! ([`OdooError`]), retries that never duplicate a write ([`retry`]), a
//! token bucket and a concurrency cap per database ([`limit`]), and the
//! idempotent operations of the order path ([`ops`]). Takes plain Rust
//! inputs; knows nothing of the canonical model.

mod client;
mod error;
pub mod limit;
pub mod retry;
pub mod transport;

pub mod cache;
pub mod company;
pub mod ops;
pub mod version;

pub use client::{CallOptions, OdooClient, OdooConfig, ServerVersion};
pub use company::CompanyId;
pub use error::OdooError;
pub use limit::RateLimit;
pub use ops::{
    PartnerInfo, PartnerValues, ProductInfo, SaleLineValues, SaleOrderInfo, SaleOrderLineInfo,
    SaleOrderValues,
};
pub use retry::{RetryPolicy, RetrySafety};
pub use transport::Protocol;
