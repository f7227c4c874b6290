//! What the server counts, served at `GET /metrics` in Prometheus' text format.
//!
//! Each figure is recorded where its event happens; their names and meanings are all here, so
//! the vocabulary reads on one page. The registry is the process's (one recorder, installed
//! once), as a Prometheus scrape sees one process.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{describe_counter, describe_histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::http::access_log::Outcome;

/// Requests by method, route template (`/orders/{id}`, never each id), status and outcome.
pub const REQUESTS: &str = "http_requests_total";
/// Time to answer, by method and route template.
pub const REQUEST_SECONDS: &str = "http_request_duration_seconds";
/// Stored answers sent again to a retry.
pub const REPLAYS: &str = "idempotency_replays_total";
/// Claims whose lease ended (their request died) taken over by a retry.
pub const TAKE_OVERS: &str = "idempotency_claims_taken_over_total";
/// Commits refused because the claim had been taken over meanwhile (fencing).
pub const FENCED: &str = "idempotency_fenced_commits_total";
/// Expired records deleted by the purge.
pub const PURGED: &str = "idempotency_records_purged_total";
/// Writes per transaction of SQLite's single writer (group commit).
pub const BATCH_SIZE: &str = "sqlite_writer_batch_size";
/// Time from BEGIN to a COMMIT on disk, per writer transaction.
pub const COMMIT_SECONDS: &str = "sqlite_writer_commit_seconds";

const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const WRITES: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// The process's registry, installed on first use.
pub fn registry() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let buckets = |builder: PrometheusBuilder, name: &str, bounds: &[f64]| {
            builder
                .set_buckets_for_metric(Matcher::Full(name.into()), bounds)
                .expect("bucket bounds are not empty")
        };
        let builder = PrometheusBuilder::new();
        let builder = buckets(builder, REQUEST_SECONDS, SECONDS);
        let builder = buckets(builder, COMMIT_SECONDS, SECONDS);
        let builder = buckets(builder, BATCH_SIZE, WRITES);
        let handle = builder
            .install_recorder()
            .expect("no other metrics recorder in this process");
        describe();
        handle
    })
}

fn describe() {
    describe_counter!(
        REQUESTS,
        "Requests by method, route, status and idempotency outcome."
    );
    describe_histogram!(REQUEST_SECONDS, Unit::Seconds, "Time to answer a request.");
    describe_counter!(REPLAYS, "Stored answers sent again to a retry.");
    describe_counter!(
        TAKE_OVERS,
        "Dead claims (lease ended) taken over by a retry."
    );
    describe_counter!(
        FENCED,
        "Commits refused because the claim was taken over meanwhile."
    );
    describe_counter!(PURGED, "Expired idempotency records deleted.");
    describe_histogram!(
        BATCH_SIZE,
        Unit::Count,
        "Writes per SQLite writer transaction."
    );
    describe_histogram!(
        COMMIT_SECONDS,
        Unit::Seconds,
        "SQLite writer transaction, BEGIN to COMMIT."
    );
}

/// Counts and times every request under its route template.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched".to_string(), |path| path.as_str().to_string());
    let response = next.run(request).await;
    let outcome = response
        .extensions()
        .get::<Outcome>()
        .map_or("none", |outcome| outcome.as_str());
    let labels = [
        ("method", method.clone()),
        ("route", route.clone()),
        ("status", response.status().as_u16().to_string()),
        ("outcome", outcome.to_string()),
    ];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(REQUEST_SECONDS, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    responses((
        status = 200,
        description = "Counters and histograms in Prometheus' text format.",
        content_type = "text/plain; version=0.0.4; charset=utf-8",
        body = String
    ))
)]
pub async fn render() -> Response {
    let registry = registry();
    // Histograms fold their recent samples in here, not on a timer of their own.
    registry.run_upkeep();
    let mut response = registry.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
