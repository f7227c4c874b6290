//! The request's `Idempotency-Key`, and the language it asks for.

use app::api::IDEMPOTENCY_KEY;
use app::i18n::Lang;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use crate::http::error::ApiError;
use crate::idempotency::record::IdempotencyKey;

/// The one `Idempotency-Key` of a request, quoted (IETF) or bare; refused when missing,
/// repeated, malformed or a placeholder (`undefined`, `null`).
impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        // `get` would show only the first of several headers; several keys are ambiguous.
        let mut values = parts.headers.get_all(IDEMPOTENCY_KEY).iter();
        let value = values.next().ok_or(ApiError::MissingKey)?;
        if values.next().is_some() {
            return Err(ApiError::SeveralKeys);
        }
        let text = value.to_str().map_err(|_| {
            ApiError::MalformedKey("the key may hold only visible ASCII characters")
        })?;
        IdempotencyKey::parse(text).map_err(ApiError::from)
    }
}

/// The language the request asks for: the lab's `lab_lang` cookie, else the first language
/// of `Accept-Language` the lab speaks, else English.
#[derive(Debug, Clone, Copy)]
pub struct RequestLang(pub Lang);

impl RequestLang {
    pub fn of(headers: &HeaderMap) -> Self {
        let header = |name| headers.get(name).and_then(|value| value.to_str().ok());
        let lang = header(header::COOKIE)
            .and_then(Lang::from_cookie_header)
            .or_else(|| header(header::ACCEPT_LANGUAGE).and_then(Lang::from_accept_language))
            .unwrap_or_default();
        Self(lang)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(&parts.headers))
    }
}
