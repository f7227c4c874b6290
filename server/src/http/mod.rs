//! The HTTP API: routes, request reading, and errors as problem details.

pub mod access_log;
pub mod error;
mod error_ja;
mod events;
mod extract;
mod lab;
pub mod openapi;
mod orders;
mod problem_texts;
pub mod problem_types;

use app::i18n::Lang;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use axum::routing::any;
use axum::{Extension, Router};
use error::ProblemInJapanese;
use extract::RequestLang;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The JSON API. Each route is registered with its OpenAPI operation (`routes!` reads the
/// method and path from the handler's `#[utoipa::path]`), so `/openapi.json` lists them all.
pub fn api_routes(state: AppState) -> Router {
    let (router, document) = OpenApiRouter::new()
        .routes(routes!(orders::create, orders::list))
        .routes(routes!(orders::prepare))
        .routes(routes!(orders::get))
        .routes(routes!(orders::records))
        .routes(routes!(lab::health))
        .routes(routes!(events::stream))
        .routes(routes!(crate::metrics::render))
        .routes(routes!(openapi::document))
        .routes(routes!(problem_types::page))
        .routes(routes!(lab::reset))
        .routes(routes!(lab::expire_key))
        .split_for_parts();
    let published = openapi::publish(document, state.max_lab_delay_ms);
    router
        // Not operations: they answer a JSON 404 for any other path under `/orders/{id}/` and
        // `/lab/`, so the page fallback never answers an API client with HTML.
        .route("/orders/{id}/{*rest}", any(lab::not_found))
        .route("/lab/{*rest}", any(lab::not_found))
        .method_not_allowed_fallback(lab::method_not_allowed)
        .layer(Extension(published))
        .layer(DefaultBodyLimit::max(app::api::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(in_request_language))
        .with_state(state)
}

/// Problems in the request's language: the lab's `lab_lang` cookie, else the first language of
/// `Accept-Language` the lab speaks, else English. `Content-Language` says which it is.
pub async fn in_request_language(request: Request, next: Next) -> Response {
    let RequestLang(lang) = RequestLang::of(request.headers());
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
