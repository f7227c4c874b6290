//! The HTTP API: routes, request reading, and errors as problem details.

pub mod error;
mod extract;
mod lab;
mod orders;

use axum::extract::DefaultBodyLimit;
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
