//! The HTTP API: routes, request reading, and errors as problem details.

pub mod error;
mod extract;
mod lab;
mod orders;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;

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
        .route("/lab/reset", post(lab::reset))
        .route("/lab/{*rest}", any(lab::not_found))
        .method_not_allowed_fallback(lab::method_not_allowed)
        .layer(DefaultBodyLimit::max(app::api::MAX_BODY_BYTES))
        .with_state(state)
}

/// Headers every response carries. Pages add their own script policy (with a nonce for the
/// hydration script) in a `<meta>`; everything else may load nothing at all.
pub async fn security_headers(mut response: Response) -> Response {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let policy = if is_html {
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    } else {
        "default-src 'none'; frame-ancestors 'none'"
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
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
