//! The lab's request headers. Outside the lab (`--lab-controls false`) most of them mean
//! nothing and are ignored; the ones that ask for a different answer are refused.

use std::time::Duration;

use app::api::{LAB_DELAY_MS, LAB_FAIL, LAB_ISSUE, LAB_ISSUE_EXPIRED, LAB_OPERATION};
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderValue;

use crate::http::error::ApiError;
use crate::idempotency::record::LabOperation;
use crate::state::AppState;

/// The lab's pause between claim and commit (`X-Lab-Delay-Ms`), at most the server's
/// limit; zero when the header is absent or the lab's controls are off.
#[derive(Debug, Clone, Copy)]
pub struct LabDelay(pub Duration);

impl FromRequestParts<AppState> for LabDelay {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts
            .headers
            .get(LAB_DELAY_MS)
            .filter(|_| state.lab_controls)
        else {
            return Ok(Self(Duration::ZERO));
        };
        let max = state.max_lab_delay_ms;
        value
            .to_str()
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .filter(|ms| *ms <= max)
            .map(|ms| Self(Duration::from_millis(ms)))
            .ok_or(ApiError::InvalidLabDelay { max })
    }
}

/// The lab's `X-Lab-Operation`, checked; `None` when it is absent or the lab's controls are
/// off. Outside the lab it means nothing, so a bad value is not worth refusing an order there.
impl OptionalFromRequestParts<AppState> for LabOperation {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        let Some(value) = parts
            .headers
            .get(LAB_OPERATION)
            .filter(|_| state.lab_controls)
        else {
            return Ok(None);
        };
        let text = value.to_str().map_err(|_| ApiError::InvalidLabOperation)?;
        let operation = LabOperation::parse(text).map_err(|_| ApiError::InvalidLabOperation)?;
        Ok(Some(operation))
    }
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
impl FromRequestParts<AppState> for LabIssue {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(LAB_ISSUE) else {
            return Ok(Self::Fresh);
        };
        if !state.lab_controls {
            return Err(ApiError::LabControlsOff);
        }
        if value == LAB_ISSUE_EXPIRED {
            Ok(Self::Expired)
        } else {
            Err(ApiError::InvalidLabIssue)
        }
    }
}

/// The lab's `X-Lab-Fail: <step>` switch, honoured only while the lab's controls are on.
#[derive(Debug, Clone)]
pub struct LabFail(Option<HeaderValue>);

impl LabFail {
    /// Whether the request asks `step` to fail.
    pub fn fails(&self, step: &str) -> bool {
        self.0.as_ref().is_some_and(|value| value == step)
    }
}

impl FromRequestParts<AppState> for LabFail {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let switch = parts.headers.get(LAB_FAIL).filter(|_| state.lab_controls);
        Ok(Self(switch.cloned()))
    }
}

/// A lab endpoint's gate: refused (403) while the lab's controls are off.
#[derive(Debug, Clone, Copy)]
pub struct LabControlsOn;

impl FromRequestParts<AppState> for LabControlsOn {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.lab_controls {
            Ok(Self)
        } else {
            Err(ApiError::LabControlsOff)
        }
    }
}
