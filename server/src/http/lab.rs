//! Lab-only endpoints and the small ones every service has.

use app::api::Health;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::error::{ApiError, Missing};
use super::extract;
use crate::AppState;

/// `GET /health`: 200 when the database answers.
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.storage.ping().await.map_err(ApiError::Unavailable)?;
    Ok(Json(Health {
        status: "ok".into(),
        database: "ok".into(),
        backend: state.storage.kind().into(),
    }))
}

/// `POST /lab/reset` with `{"userId": …}`: forget that learner's orders and records, so they
/// can start over while other learners on the same server keep theirs. (Wiping everyone's
/// is the operator's `server --wipe-lab`, not a button.)
pub async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    if !state.lab_controls {
        return Err(ApiError::LabControlsOff);
    }
    extract::require_json(&headers)?;
    let body = body.map_err(extract::body_rejection)?;
    let learner = extract::reset_body(&body)?;
    state.storage.reset_lab(Some(&learner.user_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Any API path that matches no route: JSON, never the HTML page.
pub async fn not_found() -> ApiError {
    ApiError::NotFound(Missing::ApiPath)
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("this path")
}
