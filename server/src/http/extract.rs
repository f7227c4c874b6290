//! Reading an order request: its key, its lab headers and its body, each checked before the
//! key is claimed, so that bad input is refused without storing anything.

use std::time::Duration;

use app::api::{
    CreateOrderRequest, ExpireKeyRequest, FieldError, FieldRule, ResetRequest, IDEMPOTENCY_KEY,
    LAB_DELAY_MS, LAB_FAIL, LAB_ISSUE, LAB_OPERATION,
};
use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::error::{ApiError, FieldProblem};
use crate::idempotency::record::{IdempotencyKey, LabOperation};

/// The one `Idempotency-Key` of a request, quoted (IETF) or bare.
pub fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
    // `get` would show only the first of several headers; several keys are ambiguous.
    let mut values = headers.get_all(IDEMPOTENCY_KEY).iter();
    let value = values.next().ok_or(ApiError::MissingKey)?;
    if values.next().is_some() {
        return Err(ApiError::SeveralKeys);
    }
    let text = value
        .to_str()
        .map_err(|_| ApiError::MalformedKey("the key may hold only visible ASCII characters"))?;
    IdempotencyKey::parse(text).map_err(ApiError::MalformedKey)
}

/// The lab's pause between claim and commit, at most `max_ms`; zero when the header is absent
/// or the lab's controls are off.
pub fn lab_delay(
    headers: &HeaderMap,
    lab_controls: bool,
    max_ms: u64,
) -> Result<Duration, ApiError> {
    let Some(value) = headers.get(LAB_DELAY_MS).filter(|_| lab_controls) else {
        return Ok(Duration::ZERO);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .filter(|ms| *ms <= max_ms)
        .map(Duration::from_millis)
        .ok_or(ApiError::InvalidLabDelay { max: max_ms })
}

/// The lab's `X-Lab-Fail: <step>` switch, honoured only while the lab's controls are on.
pub fn lab_fails(headers: &HeaderMap, lab_controls: bool, step: &str) -> bool {
    lab_controls && headers.get(LAB_FAIL).is_some_and(|value| value == step)
}

/// The lab's `X-Lab-Operation`, checked; `None` when it is absent or the lab's controls are
/// off. Outside the lab it means nothing, so a bad value is not worth refusing an order there.
pub fn lab_operation(
    headers: &HeaderMap,
    lab_controls: bool,
) -> Result<Option<LabOperation>, ApiError> {
    let Some(value) = headers.get(LAB_OPERATION).filter(|_| lab_controls) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ApiError::InvalidLabOperation)?;
    let operation = LabOperation::parse(text).map_err(|_| ApiError::InvalidLabOperation)?;
    Ok(Some(operation))
}

/// Which key `POST /orders/prepare` issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabIssue {
    /// A key valid for the issued-key TTL: what every client gets.
    Fresh,
    /// The lab's `X-Lab-Issue: expired`: signed, but already past its expiry.
    Expired,
}

/// The lab's `X-Lab-Issue`. Unlike the headers that only shape a request, this one asks for a
/// different answer, so with the lab's controls off it is refused rather than ignored: a
/// learner must not take a valid key for the expired one asked for.
pub fn lab_issue(headers: &HeaderMap, lab_controls: bool) -> Result<LabIssue, ApiError> {
    let Some(value) = headers.get(LAB_ISSUE) else {
        return Ok(LabIssue::Fresh);
    };
    if !lab_controls {
        return Err(ApiError::LabControlsOff);
    }
    if value == "expired" {
        Ok(LabIssue::Expired)
    } else {
        Err(ApiError::InvalidLabIssue)
    }
}

/// `application/json`, or any `application/<something>+json`, with or without parameters.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .ok_or(ApiError::UnsupportedMediaType)?;
    let is_json = media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
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
    let key = IdempotencyKey::parse(&request.idempotency_key).map_err(|_| FieldError {
        field: "idempotencyKey".into(),
        rule: FieldRule::IdempotencyKey,
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
        let field = field_name(&path, &words);
        let problem = match inner.classify() {
            _ if words.starts_with("unknown field") => FieldProblem::Unknown(words),
            serde_json::error::Category::Data => FieldProblem::Invalid(words),
            _ => FieldProblem::NotJson(words),
        };
        ApiError::InvalidField { field, problem }
    })?;
    json.end().map_err(|error| ApiError::InvalidField {
        field: "body".into(),
        problem: FieldProblem::TrailingText(error.to_string()),
    })?;
    Ok(value)
}

/// A body axum could not read: too large, or cut off.
pub fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::BodyTooLarge {
            limit: app::api::MAX_BODY_BYTES,
        }
    } else {
        ApiError::UnreadableBody(rejection.body_text())
    }
}

/// The JSON path of the field at fault. serde reports a missing field at its parent's path,
/// so the field's own name is taken from the message.
fn field_name(path: &str, message: &str) -> String {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(name)) => name.to_owned(),
        // "?": serde lost its place (the JSON ended early, say); the body as a whole is at fault.
        (".", None) | ("?", _) => "body".to_owned(),
        (parent, Some(name)) => format!("{parent}.{name}"),
        (parent, None) => parent.to_owned(),
    }
}
