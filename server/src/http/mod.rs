//! The HTTP API: routes, request reading, and errors as problem details.

pub mod access_log;
pub mod error;
mod error_ja;
mod extract;
mod lab;
mod orders;
pub mod problem_types;

use app::i18n::Lang;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use axum::routing::{any, get, post};
use axum::Router;
use error::ProblemInJapanese;

use crate::AppState;

/// The JSON API. Everything under `/orders` answers JSON, even paths that match nothing,
/// so the page fallback never answers an API client with HTML.
pub fn api_routes(state: AppState) -> Router {
    Router::new()
        .route("/orders", post(orders::create).get(orders::list))
        .route("/orders/prepare", post(orders::prepare))
        .route("/orders/{id}", get(orders::get))
        .route("/orders/{id}/{*rest}", any(lab::not_found))
        .route("/idempotency-records", get(orders::records))
        .route("/health", get(lab::health))
        .route("/metrics", get(crate::metrics::render))
        .route("/problems/{slug}", get(problem_types::page))
        .route("/lab/reset", post(lab::reset))
        .route("/lab/expire-key", post(lab::expire_key))
        .route("/lab/{*rest}", any(lab::not_found))
        .method_not_allowed_fallback(lab::method_not_allowed)
        .layer(DefaultBodyLimit::max(app::api::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(in_request_language))
        .with_state(state)
}

/// Problems in the request's language: the lab's `lab_lang` cookie, else the first language of
/// `Accept-Language` the lab speaks, else English. `Content-Language` says which it is.
pub async fn in_request_language(request: Request, next: Next) -> Response {
    let lang = request_lang(request.headers());
    let mut response = next.run(request).await;
    let Some(ProblemInJapanese(japanese)) = response.extensions_mut().remove() else {
        return response;
    };
    if lang == Lang::Ja {
        response.headers_mut().remove(header::CONTENT_LENGTH);
        *response.body_mut() = Body::from(japanese);
    }
    response.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    response
}

fn request_lang(headers: &HeaderMap) -> Lang {
    let header = |name| headers.get(name).and_then(|value| value.to_str().ok());
    header(header::COOKIE)
        .and_then(Lang::from_cookie_header)
        .or_else(|| header(header::ACCEPT_LANGUAGE).and_then(Lang::from_accept_language))
        .unwrap_or_default()
}

/// Headers every response carries. A page brings its own script policy (`pages.rs`);
/// everything else may load nothing at all.
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
