//! Request bodies: JSON only, read whole (up to the limit), then parsed and checked, the
//! error naming the field at fault.

use app::api::{CreateOrderRequest, ExpireKeyRequest, FieldError, ResetRequest, MAX_BODY_BYTES};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::names::{expected_fields, field_named, unreadable};
use crate::http::error::{ApiError, FieldProblem};
use crate::idempotency::record::IdempotencyKey;

/// A body declared as JSON, read whole: refused as not JSON (415) before it is read, and as
/// too large (413) or cut short while it is.
pub struct JsonBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        require_json(request.headers())?;
        let body = Bytes::from_request(request, state)
            .await
            .map_err(body_rejection)?;
        Ok(Self(body))
    }
}

/// `application/json`, or any `application/<something>+json`, with or without parameters.
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .ok_or(ApiError::UnsupportedMediaType)?;
    let is_json = media_type == app::api::JSON_CONTENT_TYPE
        || (media_type.starts_with("application/") && media_type.ends_with("+json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// A body axum could not read: too large, or cut off.
fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::BodyTooLarge {
            limit: MAX_BODY_BYTES,
        }
    } else {
        ApiError::UnreadableBody(rejection.body_text())
    }
}

/// Parses and validates an order body; the error names the offending field.
pub fn order_body(body: &[u8]) -> Result<CreateOrderRequest, ApiError> {
    const EXAMPLE: &str = r#"{"userId":"u1","items":[{"sku":"A-1","qty":2}]}"#;
    let request: CreateOrderRequest = json_object(body, EXAMPLE)?;
    request.validate()?;
    Ok(request)
}

/// Parses and validates a `POST /lab/reset` body.
pub fn reset_body(body: &[u8]) -> Result<ResetRequest, ApiError> {
    let request: ResetRequest = json_object(body, r#"{"userId":"learner-3f2a"}"#)?;
    request.validate()?;
    Ok(request)
}

/// Parses and validates a `POST /lab/expire-key` body: the learner, and the key spelled as the
/// `Idempotency-Key` header spells it (bare or quoted).
pub fn expire_key_body(body: &[u8]) -> Result<(String, IdempotencyKey), ApiError> {
    const EXAMPLE: &str = r#"{"userId":"learner-3f2a","idempotencyKey":"3f2a-key"}"#;
    let request: ExpireKeyRequest = json_object(body, EXAMPLE)?;
    request.validate()?;
    let key = IdempotencyKey::parse(&request.idempotency_key).map_err(|error| FieldError {
        field: "idempotencyKey".into(),
        rule: error.into(),
    })?;
    Ok((request.user_id, key))
}

/// A JSON object of type `T`, or a problem naming the field at fault (`example` shows the
/// expected shape when the body is not an object at all).
fn json_object<T: DeserializeOwned>(body: &[u8], example: &'static str) -> Result<T, ApiError> {
    // serde would also read a struct from an array; these bodies are only ever objects.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(ApiError::InvalidField {
            field: "body".into(),
            problem: FieldProblem::NotAnObject { example },
        });
    }
    let mut json = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut json).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let words = inner.to_string();
        let (field, problem) = match inner.classify() {
            _ if field_named(&words, "unknown").is_some() => unknown_field(&path, words),
            serde_json::error::Category::Data => {
                (field_name(&path, &words), FieldProblem::Invalid(words))
            }
            _ => (field_name(&path, &words), FieldProblem::NotJson(words)),
        };
        ApiError::InvalidField { field, problem }
    })?;
    json.end().map_err(|error| ApiError::InvalidField {
        field: "body".into(),
        problem: FieldProblem::TrailingText(error.to_string()),
    })?;
    Ok(value)
}

/// A field the body does not take. serde reports it at its own path, which names it; a name
/// nobody can read (`""`, say) makes a poor field, so then the object holding it is at fault.
fn unknown_field(path: &str, words: String) -> (String, FieldProblem) {
    let name = field_named(&words, "unknown").unwrap_or_default();
    if !unreadable(name) {
        return (field_name(path, &words), FieldProblem::Unknown(words));
    }
    let holder = path
        .strip_suffix(name)
        .map(|parent| parent.strip_suffix('.').unwrap_or(parent))
        .filter(|parent| !parent.is_empty())
        .unwrap_or("body");
    let problem = FieldProblem::UnreadableName {
        name: name.to_owned(),
        expected: expected_fields(&words).to_owned(),
    };
    (holder.to_owned(), problem)
}

/// The JSON path of the field at fault. serde reports a missing field at its parent's path,
/// so the field's own name is taken from the message.
fn field_name(path: &str, message: &str) -> String {
    match (path, field_named(message, "missing")) {
        (".", Some(name)) => name.to_owned(),
        // "?": serde lost its place (the JSON ended early, say); the body as a whole is at fault.
        (".", None) | ("?", _) => "body".to_owned(),
        (parent, Some(name)) => format!("{parent}.{name}"),
        (parent, None) => parent.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use app::i18n::Lang;

    use super::*;

    /// The field and the English detail of the problem with an order body.
    fn refusal(body: &str) -> (String, String) {
        let error = order_body(body.as_bytes()).expect_err("refused");
        let problem = error.to_problem(Lang::En);
        (problem.field.expect("a field"), problem.detail)
    }

    #[test]
    fn an_unknown_field_is_named_and_an_empty_name_blames_its_object() {
        let (field, detail) = refusal(r#"{"userId":"u1","items":[],"coupon":1}"#);
        assert_eq!(field, "coupon");
        assert!(
            detail.starts_with("coupon is invalid: unknown field"),
            "{detail}"
        );

        let (field, detail) = refusal(r#"{"": null}"#);
        assert_eq!(field, "body");
        let expected =
            r#"body has a field named "", which it does not take: expected `userId` or `items`"#;
        assert!(detail.starts_with(expected), "{detail}");

        let (field, detail) = refusal(r#"{"userId":"u1","items":[{"sku":"A","qty":1," ":0}]}"#);
        assert_eq!(field, "items[0]");
        assert!(
            detail.starts_with(r#"items[0] has a field named " ""#),
            "{detail}"
        );
    }
}
