//! Every way an API request can fail, and the one place that turns it into
//! `application/problem+json` (RFC 9457).

use app::api::{FieldError, FieldRule, Problem, LAB_ISSUE, LAB_OPERATION, PROBLEM_CONTENT_TYPE};
use app::i18n::Lang;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::access_log::Outcome;
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
    #[error("{field} {}", .problem.english())]
    InvalidField {
        field: String,
        problem: FieldProblem,
    },
    #[error("X-Lab-Delay-Ms must be a whole number of milliseconds from 0 to {max}")]
    InvalidLabDelay { max: u64 },
    #[error("X-Lab-Operation must be 1 to 64 characters of A-Z, a-z, 0-9 and -, such as a UUID")]
    InvalidLabOperation,
    #[error("X-Lab-Issue takes one value, `expired`: a key whose expiry has already passed")]
    InvalidLabIssue,
    #[error("a key names one operation with one body: to place a different order, send a new key")]
    KeyReusedWithDifferentRequest,
    #[error("retry in {retry_after_secs} s with the same key and body: once the first request has finished, you get its answer")]
    InFlight { retry_after_secs: u64 },
    #[error("{} not found", .0.english())]
    NotFound(Missing),
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

/// What a 404 did not find.
#[derive(Debug, Clone, Copy)]
pub enum Missing {
    Order,
    ApiPath,
    /// A learner's idempotency record under a key (`POST /lab/expire-key`).
    Record,
    /// A file under `/pkg/` (an old build's, or a mistyped name).
    Asset,
    /// A `/problems/…` page for a type the API never sends.
    ProblemType,
}

impl Missing {
    pub fn english(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::ApiPath => "this API path",
            Self::Record => "this learner's idempotency record for this key",
            Self::Asset => "this file of the page's bundle",
            Self::ProblemType => "this problem type",
        }
    }

    pub fn japanese(self) -> &'static str {
        match self {
            Self::Order => "注文",
            Self::ApiPath => "この API のパス",
            Self::Record => "この学習者のこのキーの冪等性レコード",
            Self::Asset => "ページのバンドルのこのファイル",
            Self::ProblemType => "この問題の種類",
        }
    }
}

/// What is wrong with a field of a body (or the query). The parser's own words are kept for
/// the English detail only: each language says what went wrong in its own words.
#[derive(Debug)]
pub enum FieldProblem {
    /// The body is not a JSON object; `example` shows one.
    NotAnObject { example: &'static str },
    /// A field this body does not have (serde's words).
    Unknown(String),
    /// A value of the wrong type or out of range for its type (serde's words).
    Invalid(String),
    /// Not JSON at all (serde's words).
    NotJson(String),
    /// Text after the JSON value (serde's words).
    TrailingText(String),
    /// A rule of the API's own.
    Rule(FieldRule),
    /// A query string axum could not read (its words).
    Query(String),
}

impl FieldProblem {
    /// The English detail, after the field's name.
    pub fn english(&self) -> String {
        match self {
            Self::NotAnObject { example } => format!("must be a JSON object like {example}"),
            Self::Unknown(words) | Self::Invalid(words) => format!("is invalid: {words}"),
            Self::NotJson(words) => format!("is not valid JSON: {words}"),
            Self::TrailingText(words) => format!("has text after the JSON value: {words}"),
            Self::Rule(rule) => rule.english(),
            Self::Query(words) => words.clone(),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        Self::InvalidField {
            field: error.field,
            problem: FieldProblem::Rule(error.rule),
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
            Self::InvalidLabOperation => (
                S::BAD_REQUEST,
                "invalid-lab-operation",
                "X-Lab-Operation is invalid",
            ),
            Self::InvalidLabIssue => (
                S::BAD_REQUEST,
                "invalid-lab-issue",
                "X-Lab-Issue is invalid",
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

    /// The problem in `lang`: the same type, status and field, the words in that language.
    pub fn to_problem(&self, lang: Lang) -> Problem {
        let (status, slug, title) = self.kind();
        let (title, detail) = match lang {
            Lang::En => (title.to_owned(), self.to_string()),
            Lang::Ja => {
                let (title, detail) = self.japanese();
                (title.to_owned(), detail)
            }
        };
        let field = match self {
            Self::InvalidField { field, .. } => Some(field.clone()),
            Self::MissingKey | Self::SeveralKeys | Self::MalformedKey(_) => {
                Some("Idempotency-Key".into())
            }
            Self::InvalidLabOperation => Some(LAB_OPERATION.into()),
            Self::InvalidLabIssue => Some(LAB_ISSUE.into()),
            _ => None,
        };
        Problem {
            kind: format!("/problems/{slug}"),
            title,
            status: status.as_u16(),
            detail,
            field,
        }
    }
}

impl ApiError {
    /// How the idempotency lifecycle answered, for the log: a refusal before or at the key.
    fn outcome(&self) -> Option<Outcome> {
        match self {
            Self::InFlight { .. } => Some(Outcome::InFlight),
            Self::KeyReusedWithDifferentRequest => Some(Outcome::Mismatch),
            Self::MissingKey
            | Self::SeveralKeys
            | Self::MalformedKey(_)
            | Self::ForgedIssuedKey
            | Self::ExpiredIssuedKey
            | Self::UnsupportedMediaType
            | Self::BodyTooLarge { .. }
            | Self::UnreadableBody(_)
            | Self::InvalidField { .. }
            | Self::InvalidLabDelay { .. }
            | Self::InvalidLabOperation
            | Self::InvalidLabIssue => Some(Outcome::Invalid),
            _ => None,
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
        // English by default; `in_request_language` sends the Japanese one when asked for.
        let problem = self.to_problem(Lang::En);
        let japanese = serde_json::to_vec(&self.to_problem(Lang::Ja)).unwrap_or_default();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response =
            (status, serde_json::to_vec(&problem).unwrap_or_default()).into_response();
        response
            .extensions_mut()
            .insert(ProblemInJapanese(japanese.into()));
        if let Some(outcome) = self.outcome() {
            response.extensions_mut().insert(outcome);
        }
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

/// The Japanese body of a problem response, carried beside the English one until
/// `in_request_language` knows which the request asked for.
#[derive(Clone)]
pub struct ProblemInJapanese(pub axum::body::Bytes);
