//! Liveness and readiness. These two answer without a key (load balancers
//! and orchestrators probe them) and reveal nothing beyond up/down.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use super::AppState;

pub async fn healthz() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

/// Ready when the store answers.
pub async fn readyz(State(app): State<AppState>) -> impl IntoResponse {
    match app.store.count_jobs_by_state().await {
        Ok(_) => (StatusCode::OK, axum::Json(json!({ "status": "ready" }))),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({ "status": "unavailable" })),
            )
        }
    }
}
