//! The HTTP API: routes, shared state, and the fallback that answers
//! unknown routes with a problem document.

mod body;
mod csv_upload;
mod edi;
mod exceptions;
mod health;
mod ops;
pub(crate) mod orders;
mod shopify;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use o2c_store::Store;

use crate::auth::Authenticator;
use crate::ingest::IngestQueue;
use crate::problem::{Problem, ProblemKind};
use crate::schema_check::OrderSchema;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub auth: Arc<Authenticator>,
    pub ingest: IngestQueue,
    pub schema: Arc<OrderSchema>,
    pub max_body_bytes: usize,
    pub work_ready: Arc<tokio::sync::Notify>,
    pub mappings: Arc<o2c_connectors::MappingSet>,
    /// Shop domain → webhook secret.
    pub shopify_secrets: Arc<std::collections::HashMap<String, Vec<u8>>>,
    /// EDI trading partners and their state.
    pub edi: Arc<crate::edi::EdiRuntime>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(
            "/v1/orders",
            post(orders::post_order).get(orders::list_orders),
        )
        .route("/v1/orders/{id}", get(orders::get_order))
        .route("/v1/schemas/{name}", get(ops::get_schema))
        .route(
            "/v1/channels/shopify/{shop}/webhooks",
            post(shopify::webhook),
        )
        .route(
            "/v1/channels/csv/{account}/uploads",
            post(csv_upload::upload),
        )
        .route("/v1/channels/edi/{partner}", post(edi::post_interchange))
        .route("/v1/exceptions", get(ops::list_exceptions))
        .route("/v1/exceptions/{id}", get(exceptions::get_exception))
        .route("/v1/exceptions/{id}/{action}", post(exceptions::act_on))
        .route("/v1/dlq", get(ops::list_dlq))
        .route("/v1/dlq/{id}/retry", post(ops::retry_dlq))
        .route("/v1/dlq/{id}/discard", post(ops::discard_dlq))
        .fallback(|| async { Problem::new(ProblemKind::NotFound, "no such route") })
        .with_state(state)
}
