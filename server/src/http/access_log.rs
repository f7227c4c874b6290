//! One log line per request: which request (its `x-request-id`), what was asked (method,
//! path, and the first characters of its Idempotency-Key), and how it ended (status, latency,
//! and for an order the idempotency outcome). An operator follows one operation across its
//! retries by the key's prefix; the whole key is never logged, as it is what lets a client
//! replay an order.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, Request, Response};
use axum::Router;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use app::api::IDEMPOTENCY_KEY;

/// How the idempotency lifecycle answered, put on the response for the log (and metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The operation ran now and its answer was stored.
    Created,
    /// The stored answer of an earlier attempt was sent again.
    Replayed,
    /// Another attempt with this key is running (409).
    InFlight,
    /// The key was used before with a different request (422).
    Mismatch,
    /// The request could not be taken at all (a missing or malformed key, a bad body…).
    Invalid,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Replayed => "replayed",
            Outcome::InFlight => "in_flight",
            Outcome::Mismatch => "mismatch",
            Outcome::Invalid => "invalid",
        }
    }
}

/// Enough of a key to tell operations apart in a log, not enough to replay one.
const KEY_PREFIX_CHARS: usize = 8;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps `router`: a request id is taken from the request or made (a UUID) and echoed in the
/// response, and every request is logged once, when its response is ready.
pub fn logged(router: Router) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_request(())
                    .on_response(log_response)
                    .on_failure(()),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
    )
}

fn request_span(request: &Request<Body>) -> Span {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let key =
        header(IDEMPOTENCY_KEY).map(|key| key.chars().take(KEY_PREFIX_CHARS).collect::<String>());
    tracing::info_span!(
        "request",
        id = header("x-request-id").unwrap_or_default(),
        method = %request.method(),
        path = request.uri().path(),
        key = key.as_deref(),
    )
}

fn log_response(response: &Response<Body>, latency: Duration, _span: &Span) {
    let outcome = response.extensions().get::<Outcome>().map(|o| o.as_str());
    tracing::info!(
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        outcome,
        "answered"
    );
}
