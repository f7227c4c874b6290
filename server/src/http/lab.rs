//! Lab-only endpoints and the small ones every service has.

use app::api::Health;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::error::{ApiError, Missing};
use super::extract::{self, JsonBody, LabControlsOn};
use crate::idempotency::record::KeyExpiry;
use crate::idempotency::IN_FLIGHT_RETRY_AFTER;
use crate::state::AppState;

/// `GET /health`: 200 when the database answers.
#[utoipa::path(
    get,
    path = "/health",
    tag = "service",
    responses((status = 200, description = "The database answers; the expiry policy.", body = Health))
)]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.storage.ping().await.map_err(ApiError::Unavailable)?;
    Ok(Json(Health {
        status: "ok".into(),
        database: "ok".into(),
        backend: state.storage.kind(),
        record_ttl_secs: state.record_ttl.as_secs(),
        issued_key_ttl_secs: state.issued_key_ttl.as_secs(),
        lease_secs: state.lease.as_secs(),
    }))
}

/// `POST /lab/reset` with `{"userId": …}`: forget that learner's orders and records, so they
/// can start over while other learners on the same server keep theirs. (Wiping everyone's
/// is the operator's `server --wipe-lab`, not a button.)
#[utoipa::path(
    post,
    path = "/lab/reset",
    tag = "lab",
    request_body(content = app::api::ResetRequest, content_type = "application/json"),
    responses((status = 204, description = "That learner's orders and records are gone."))
)]
pub async fn reset(
    State(state): State<AppState>,
    _: LabControlsOn,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let learner = extract::reset_body(&body)?;
    state.storage.reset_lab(Some(&learner.user_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /lab/expire-key` with `{"userId": …, "idempotencyKey": …}`: that learner's record
/// under the key expires now, as if its TTL had just run out, so the next request with the key
/// is a new operation. Another learner's record under the same key is not theirs to expire
/// (404). A claim whose lease still runs is refused (409): its request may yet commit, and no
/// TTL ends a record before its claim's lease either.
#[utoipa::path(
    post,
    path = "/lab/expire-key",
    tag = "lab",
    request_body(content = app::api::ExpireKeyRequest, content_type = "application/json"),
    responses((
        status = 204,
        description = "The record has expired: the next request with the key is a new operation."
    ))
)]
pub async fn expire_key(
    State(state): State<AppState>,
    _: LabControlsOn,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let (user_id, key) = extract::expire_key_body(&body)?;
    match state.storage.expire_key(&user_id, &key).await? {
        KeyExpiry::Expired => Ok(StatusCode::NO_CONTENT),
        KeyExpiry::NoRecord => Err(ApiError::NotFound(Missing::Record)),
        KeyExpiry::StillRunning => Err(ApiError::InFlight {
            retry_after_secs: IN_FLIGHT_RETRY_AFTER.as_secs(),
        }),
    }
}

/// Any API path that matches no route: JSON, never the HTML page.
pub async fn not_found() -> ApiError {
    ApiError::NotFound(Missing::ApiPath)
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("this path")
}
