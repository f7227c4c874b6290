//! Every way an API request can fail, and the one place that turns it into
//! `application/problem+json` (RFC 9457).

use app::api::{FieldError, Problem, PROBLEM_CONTENT_TYPE};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::idempotency::IdempotencyError;
use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("send an Idempotency-Key header with this request")]
    MissingKey,
    #[error("send exactly one Idempotency-Key header; this request has several")]
    SeveralKeys,
    #[error("the Idempotency-Key is malformed: {0}")]
    MalformedKey(&'static str),
    #[error("this key starts with `srv_` but was not issued by this server (or was altered)")]
    ForgedIssuedKey,
    #[error("this server-issued key has expired before any order was placed with it; call POST /orders/prepare for a new one")]
    ExpiredIssuedKey,
    #[error("send the body as JSON, with `Content-Type: application/json`")]
    UnsupportedMediaType,
    #[error("the body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("the body could not be read: {0}")]
    UnreadableBody(String),
    #[error("{message}")]
    InvalidField { field: String, message: String },
    #[error("X-Lab-Delay-Ms must be a whole number of milliseconds from 0 to {max}")]
    InvalidLabDelay { max: u64 },
    #[error("this key was first used for a different request; a key names one operation, so send a new key for a new order")]
    KeyReusedWithDifferentRequest,
    #[error("a request with this key is still being processed; retry after it finishes")]
    InFlight { retry_after_secs: u64 },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0} does not accept this method")]
    MethodNotAllowed(&'static str),
    #[error("the lab's \"prepare fails\" switch made this call fail; nothing was issued or stored, so calling prepare again is safe")]
    FailedOnPurpose,
    #[error("the lab's controls are switched off on this server")]
    LabControlsOff,
    #[error("the database is not answering")]
    Unavailable(#[source] StorageError),
    #[error("an unexpected error stopped the request; nothing was stored, so it is safe to retry")]
    Internal(#[source] IdempotencyError),
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        Self::InvalidField {
            field: error.field,
            message: error.message,
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        Self::Internal(IdempotencyError::Storage(error))
    }
}

impl From<IdempotencyError> for ApiError {
    fn from(error: IdempotencyError) -> Self {
        Self::Internal(error)
    }
}

impl ApiError {
    /// Status, the problem type's slug (`/problems/<slug>`) and its title.
    fn kind(&self) -> (StatusCode, &'static str, &'static str) {
        use StatusCode as S;
        match self {
            Self::MissingKey => (
                S::BAD_REQUEST,
                "idempotency-key-missing",
                "Idempotency-Key is missing",
            ),
            Self::SeveralKeys => (
                S::BAD_REQUEST,
                "idempotency-key-repeated",
                "Several Idempotency-Key headers",
            ),
            Self::MalformedKey(_) => (
                S::BAD_REQUEST,
                "idempotency-key-malformed",
                "Idempotency-Key is malformed",
            ),
            Self::ForgedIssuedKey => (
                S::BAD_REQUEST,
                "issued-key-invalid",
                "Issued key is not valid",
            ),
            Self::ExpiredIssuedKey => (
                S::BAD_REQUEST,
                "issued-key-expired",
                "Issued key has expired",
            ),
            Self::UnsupportedMediaType => (
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Body must be JSON",
            ),
            Self::BodyTooLarge { .. } => {
                (S::PAYLOAD_TOO_LARGE, "body-too-large", "Body is too large")
            }
            Self::UnreadableBody(_) => {
                (S::BAD_REQUEST, "invalid-body", "Body is not a valid order")
            }
            Self::InvalidField { .. } => {
                (S::BAD_REQUEST, "invalid-body", "Body is not a valid order")
            }
            Self::InvalidLabDelay { .. } => (
                S::BAD_REQUEST,
                "invalid-lab-delay",
                "X-Lab-Delay-Ms is invalid",
            ),
            Self::KeyReusedWithDifferentRequest => (
                S::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key is already used for a different request",
            ),
            Self::InFlight { .. } => (
                S::CONFLICT,
                "request-in-flight",
                "A request with this key is in progress",
            ),
            Self::NotFound(_) => (S::NOT_FOUND, "not-found", "Not found"),
            Self::MethodNotAllowed(_) => (
                S::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Self::FailedOnPurpose => (S::SERVICE_UNAVAILABLE, "lab-failure", "Failed on purpose"),
            Self::LabControlsOff => (S::FORBIDDEN, "lab-controls-off", "Lab controls are off"),
            Self::Unavailable(_) => (
                S::SERVICE_UNAVAILABLE,
                "database-unavailable",
                "Database unavailable",
            ),
            Self::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal-error", "Internal error"),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let (status, slug, title) = self.kind();
        let field = match self {
            Self::InvalidField { field, .. } => Some(field.clone()),
            Self::MissingKey | Self::SeveralKeys | Self::MalformedKey(_) => {
                Some("Idempotency-Key".into())
            }
            _ => None,
        };
        let detail = match self {
            Self::InvalidField { field, message } => format!("{field} {message}"),
            other => other.to_string(),
        };
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
            field,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(error) => tracing::error!(%error, "request failed"),
            Self::Unavailable(error) => tracing::warn!(%error, "database check failed"),
            _ => {}
        }
        let problem = self.to_problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response =
            (status, serde_json::to_vec(&problem).unwrap_or_default()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        if let Self::InFlight { retry_after_secs } = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}
