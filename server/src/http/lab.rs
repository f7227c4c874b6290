//! Lab-only endpoints and the small ones every service has.

use app::api::Health;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::error::ApiError;
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

/// `POST /lab/reset`: forget every order and record, so a learner can start over.
pub async fn reset(State(state): State<AppState>) -> Result<StatusCode, ApiError> {
    if !state.lab_controls {
        return Err(ApiError::LabControlsOff);
    }
    state.storage.reset_lab().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Any API path that matches no route: JSON, never the HTML page.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("this API path")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("this path")
}
