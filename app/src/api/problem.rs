//! Error answers: RFC 9457 problem details, and the one list of the problem types the API
//! sends. The server's errors, their pages and the OpenAPI document are written from
//! `ProblemType`, and the browser reads an answer's `type` back into one.

use serde::{Deserialize, Serialize};

/// The media type of every error answer.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";
/// Where a problem type's page is: `/problems/<slug>`.
const PROBLEMS_PATH: &str = "/problems/";

/// An error answer: RFC 9457 problem details (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI that names the kind of problem; `/problems/<slug>` on this server explains it.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The JSON path of the offending field, when a body field is at fault; the header's or
    /// the query parameter's name when one of those is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    /// The problem's `type`, if it is one this API sends.
    pub fn problem_type(&self) -> Option<ProblemType> {
        ProblemType::from_uri(&self.kind)
    }
}

/// Every kind of problem the API answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemType {
    IdempotencyKeyMissing,
    IdempotencyKeyRepeated,
    IdempotencyKeyMalformed,
    /// `undefined` or `null`: what JavaScript sends when the client has no key.
    IdempotencyKeyPlaceholder,
    IssuedKeyInvalid,
    IssuedKeyExpired,
    UnsupportedMediaType,
    BodyTooLarge,
    InvalidBody,
    InvalidQuery,
    InvalidLabDelay,
    InvalidLabOperation,
    InvalidLabIssue,
    IdempotencyKeyReused,
    RequestInFlight,
    NotFound,
    MethodNotAllowed,
    LabFailure,
    LabControlsOff,
    DatabaseUnavailable,
    InternalError,
}

impl ProblemType {
    pub const ALL: [Self; 21] = [
        Self::IdempotencyKeyMissing,
        Self::IdempotencyKeyRepeated,
        Self::IdempotencyKeyMalformed,
        Self::IdempotencyKeyPlaceholder,
        Self::IssuedKeyInvalid,
        Self::IssuedKeyExpired,
        Self::UnsupportedMediaType,
        Self::BodyTooLarge,
        Self::InvalidBody,
        Self::InvalidQuery,
        Self::InvalidLabDelay,
        Self::InvalidLabOperation,
        Self::InvalidLabIssue,
        Self::IdempotencyKeyReused,
        Self::RequestInFlight,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::LabFailure,
        Self::LabControlsOff,
        Self::DatabaseUnavailable,
        Self::InternalError,
    ];

    /// The type's name in its URI, `/problems/<slug>`.
    pub const fn slug(self) -> &'static str {
        match self {
            Self::IdempotencyKeyMissing => "idempotency-key-missing",
            Self::IdempotencyKeyRepeated => "idempotency-key-repeated",
            Self::IdempotencyKeyMalformed => "idempotency-key-malformed",
            Self::IdempotencyKeyPlaceholder => "idempotency-key-placeholder",
            Self::IssuedKeyInvalid => "issued-key-invalid",
            Self::IssuedKeyExpired => "issued-key-expired",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::BodyTooLarge => "body-too-large",
            Self::InvalidBody => "invalid-body",
            Self::InvalidQuery => "invalid-query",
            Self::InvalidLabDelay => "invalid-lab-delay",
            Self::InvalidLabOperation => "invalid-lab-operation",
            Self::InvalidLabIssue => "invalid-lab-issue",
            Self::IdempotencyKeyReused => "idempotency-key-reused",
            Self::RequestInFlight => "request-in-flight",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::LabFailure => "lab-failure",
            Self::LabControlsOff => "lab-controls-off",
            Self::DatabaseUnavailable => "database-unavailable",
            Self::InternalError => "internal-error",
        }
    }

    /// The HTTP status every answer of this type has.
    pub const fn status(self) -> u16 {
        match self {
            Self::IdempotencyKeyMissing
            | Self::IdempotencyKeyRepeated
            | Self::IdempotencyKeyMalformed
            | Self::IdempotencyKeyPlaceholder
            | Self::IssuedKeyInvalid
            | Self::IssuedKeyExpired
            | Self::InvalidBody
            | Self::InvalidQuery
            | Self::InvalidLabDelay
            | Self::InvalidLabOperation
            | Self::InvalidLabIssue => 400,
            Self::LabControlsOff => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::RequestInFlight => 409,
            Self::BodyTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::IdempotencyKeyReused => 422,
            Self::InternalError => 500,
            Self::LabFailure | Self::DatabaseUnavailable => 503,
        }
    }

    /// The problem's `type`: `/problems/<slug>`, a page on this server that explains it.
    pub fn uri(self) -> String {
        format!("{PROBLEMS_PATH}{}", self.slug())
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.slug() == slug)
    }

    /// Reads a problem's `type` back; `None` for a type this API does not send.
    pub fn from_uri(uri: &str) -> Option<Self> {
        uri.strip_prefix(PROBLEMS_PATH).and_then(Self::from_slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_from_its_uri_and_slugs_are_unique() {
        for kind in ProblemType::ALL {
            assert_eq!(ProblemType::from_uri(&kind.uri()), Some(kind));
            assert_eq!(ProblemType::from_slug(kind.slug()), Some(kind));
        }
        let mut slugs: Vec<_> = ProblemType::ALL.iter().map(|kind| kind.slug()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), ProblemType::ALL.len());
        assert_eq!(ProblemType::from_uri("/problems/no-such-type"), None);
        assert_eq!(ProblemType::from_uri("invalid-body"), None);
    }

    #[test]
    fn a_problem_names_its_type() {
        let problem = Problem {
            kind: ProblemType::RequestInFlight.uri(),
            title: "t".into(),
            status: 409,
            detail: "d".into(),
            field: None,
        };
        assert_eq!(problem.problem_type(), Some(ProblemType::RequestInFlight));
        assert_eq!(
            ProblemType::RequestInFlight.status(),
            problem.status,
            "the status is the type's"
        );
    }
}
