//! Every way an API request can fail, and the one place that turns it into
//! `application/problem+json` (RFC 9457).

use app::api::{
    FieldError, FieldRule, KeyError, Problem, ProblemType, IDEMPOTENCY_KEY, LAB_ISSUE,
    LAB_OPERATION, PROBLEM_CONTENT_TYPE,
};
use app::i18n::Lang;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::access_log::Outcome;
use super::problem_texts;
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
    #[error("the Idempotency-Key is undefined or null, the text JavaScript sends for a key that was never set (did the call that makes the key fail?); make the key before the first attempt, and do not send the request without one")]
    PlaceholderKey,
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
    /// `parameter` is `None` when the query as a whole is at fault.
    #[error("{}", .problem.english(.parameter.as_deref()))]
    InvalidQuery {
        parameter: Option<String>,
        problem: QueryProblem,
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

/// What is wrong with a field of a body. The parser's own words are kept for the English
/// detail only: each language says what went wrong in its own words.
#[derive(Debug)]
pub enum FieldProblem {
    /// The body is not a JSON object; `example` shows one.
    NotAnObject { example: &'static str },
    /// A field this body does not have (serde's words).
    Unknown(String),
    /// A field this body does not have, whose name a reader could not see (`""`, say): the
    /// field at fault is the object holding it. `expected` is serde's list of what it takes.
    UnreadableName { name: String, expected: String },
    /// A value of the wrong type or out of range for its type (serde's words).
    Invalid(String),
    /// Not JSON at all (serde's words).
    NotJson(String),
    /// Text after the JSON value (serde's words).
    TrailingText(String),
    /// A rule of the API's own.
    Rule(FieldRule),
}

impl FieldProblem {
    /// The English detail, after the field's name.
    pub fn english(&self) -> String {
        match self {
            Self::NotAnObject { example } => format!("must be a JSON object like {example}"),
            Self::Unknown(words) | Self::Invalid(words) => format!("is invalid: {words}"),
            Self::UnreadableName { name, expected } => {
                format!(
                    "has a field named {}, which it does not take: {expected}",
                    quoted(name)
                )
            }
            Self::NotJson(words) => format!("is not valid JSON: {words}"),
            Self::TrailingText(words) => format!("has text after the JSON value: {words}"),
            Self::Rule(rule) => rule.english(),
        }
    }
}

/// What is wrong with a query string (`?userId=&limit=`). As for a body, the parser's words
/// are kept for the English detail only.
#[derive(Debug)]
pub enum QueryProblem {
    /// A parameter this operation does not take (serde's words).
    Unknown(String),
    /// A parameter this operation does not take, whose name a reader could not see.
    UnreadableName { name: String, expected: String },
    /// The same parameter more than once.
    Repeated,
    /// A value of the wrong type or out of range for its type (serde's words).
    Invalid(String),
}

impl QueryProblem {
    /// The English detail, about `parameter` (or the query as a whole).
    pub fn english(&self, parameter: Option<&str>) -> String {
        let subject = match parameter {
            Some(name) => format!("query parameter {name}"),
            None => "the query".to_owned(),
        };
        match self {
            Self::Unknown(words) => format!("{subject} is not one this operation takes: {words}"),
            Self::UnreadableName { name, expected } => format!(
                "{subject} has a parameter named {}, which this operation does not take: {expected}",
                quoted(name)
            ),
            Self::Repeated => format!("{subject} is given more than once"),
            Self::Invalid(words) => format!("{subject} is invalid: {words}"),
        }
    }
}

/// A name as JSON writes it, quotes and escapes included, so even an empty one shows.
pub fn quoted(name: &str) -> String {
    serde_json::to_string(name).unwrap_or_default()
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        Self::InvalidField {
            field: error.field,
            problem: FieldProblem::Rule(error.rule),
        }
    }
}

impl From<KeyError> for ApiError {
    fn from(error: KeyError) -> Self {
        match error {
            KeyError::Malformed(why) => Self::MalformedKey(why),
            KeyError::Placeholder => Self::PlaceholderKey,
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
    /// The kind of problem, which sets the status, the `type` and the title.
    pub fn problem_type(&self) -> ProblemType {
        use ProblemType as P;
        match self {
            Self::MissingKey => P::IdempotencyKeyMissing,
            Self::SeveralKeys => P::IdempotencyKeyRepeated,
            Self::MalformedKey(_) => P::IdempotencyKeyMalformed,
            // A placeholder is the same mistake in a body's key as in the header.
            Self::PlaceholderKey
            | Self::InvalidField {
                problem: FieldProblem::Rule(FieldRule::NotAPlaceholderKey),
                ..
            } => P::IdempotencyKeyPlaceholder,
            Self::ForgedIssuedKey => P::IssuedKeyInvalid,
            Self::ExpiredIssuedKey => P::IssuedKeyExpired,
            Self::UnsupportedMediaType => P::UnsupportedMediaType,
            Self::BodyTooLarge { .. } => P::BodyTooLarge,
            Self::UnreadableBody(_) | Self::InvalidField { .. } => P::InvalidBody,
            Self::InvalidQuery { .. } => P::InvalidQuery,
            Self::InvalidLabDelay { .. } => P::InvalidLabDelay,
            Self::InvalidLabOperation => P::InvalidLabOperation,
            Self::InvalidLabIssue => P::InvalidLabIssue,
            Self::KeyReusedWithDifferentRequest => P::IdempotencyKeyReused,
            Self::InFlight { .. } => P::RequestInFlight,
            Self::NotFound(_) => P::NotFound,
            Self::MethodNotAllowed(_) => P::MethodNotAllowed,
            Self::FailedOnPurpose => P::LabFailure,
            Self::LabControlsOff => P::LabControlsOff,
            Self::Unavailable(_) => P::DatabaseUnavailable,
            Self::Internal(_) => P::InternalError,
        }
    }

    /// The problem in `lang`: the same type, status and field, the words in that language.
    pub fn to_problem(&self, lang: Lang) -> Problem {
        let kind = self.problem_type();
        let detail = match lang {
            Lang::En => self.to_string(),
            Lang::Ja => self.japanese(),
        };
        let field = match self {
            Self::InvalidField { field, .. } => Some(field.clone()),
            Self::InvalidQuery { parameter, .. } => {
                Some(parameter.clone().unwrap_or_else(|| "query".into()))
            }
            Self::MissingKey | Self::SeveralKeys | Self::MalformedKey(_) | Self::PlaceholderKey => {
                Some(IDEMPOTENCY_KEY.into())
            }
            Self::InvalidLabOperation => Some(LAB_OPERATION.into()),
            Self::InvalidLabIssue => Some(LAB_ISSUE.into()),
            _ => None,
        };
        Problem {
            kind: kind.uri(),
            title: problem_texts::title(kind, lang).to_owned(),
            status: kind.status(),
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
            | Self::PlaceholderKey
            | Self::ForgedIssuedKey
            | Self::ExpiredIssuedKey
            | Self::UnsupportedMediaType
            | Self::BodyTooLarge { .. }
            | Self::UnreadableBody(_)
            | Self::InvalidField { .. }
            | Self::InvalidQuery { .. }
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
