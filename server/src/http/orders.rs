//! The order endpoints. Thin on purpose: read the request, hand it to the idempotency
//! lifecycle, turn its outcome into HTTP.

use app::api::{
    IdempotencyRecordView, LeaseNote, Order, RecordStateView, IDEMPOTENT_REPLAYED,
    LAB_FAIL_PREPARE, LAB_LEASE,
};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::access_log;
use super::error::{ApiError, Missing};
use super::extract::{self, JsonBody, LabDelay, LabFail, LabIssue, ListQuery};
use crate::idempotency::record::{
    IdempotencyKey, LabOperation, Record, RecordState, StoredResponse,
};
use crate::idempotency::{Attempt, Lease, Outcome};
use crate::state::AppState;
use crate::time::rfc3339;

/// `POST /orders`: create an order once per Idempotency-Key.
#[utoipa::path(
    post,
    path = "/orders",
    tag = "orders",
    request_body(content = app::api::CreateOrderRequest, content_type = "application/json"),
    responses((
        status = 201,
        description = "The order: placed by this request, or placed by an earlier attempt with \
            the same key and sent again (`Idempotent-Replayed: true`).",
        body = Order
    ))
)]
pub async fn create(
    State(state): State<AppState>,
    key: IdempotencyKey,
    LabDelay(delay): LabDelay,
    lab_operation: Option<LabOperation>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let request = extract::order_body(&body)?;
    let source = state
        .issued_keys
        .origin(&key)
        .map_err(|_| ApiError::ForgedIssuedKey)?;
    let attempt = Attempt {
        key,
        source,
        request,
        delay,
        lab_operation,
    };
    match state.idempotency.submit(attempt).await? {
        Outcome::Created(response, lease) => Ok(stored(response, false, lease)),
        Outcome::Replayed(response, lease) => Ok(stored(response, true, lease)),
        Outcome::InFlight { retry_after } => Err(ApiError::InFlight {
            retry_after_secs: retry_after.as_secs().max(1),
        }),
        Outcome::Mismatch => Err(ApiError::KeyReusedWithDifferentRequest),
        Outcome::IssuedKeyExpired => Err(ApiError::ExpiredIssuedKey),
    }
}

/// `POST /orders/prepare`: issue a key. Stateless, so calling it again is always safe.
/// The lab may ask for a key that has already expired (`X-Lab-Issue: expired`).
#[utoipa::path(
    post,
    path = "/orders/prepare",
    tag = "orders",
    responses((
        status = 201,
        description = "A key signed by this server, to send as `Idempotency-Key` until it \
            expires. Nothing is stored: asking again is always safe.",
        body = app::api::PreparedKey
    ))
)]
pub async fn prepare(
    State(state): State<AppState>,
    issue: LabIssue,
    fail: LabFail,
) -> Result<Response, ApiError> {
    if fail.fails(LAB_FAIL_PREPARE) {
        return Err(ApiError::FailedOnPurpose);
    }
    let now = state.storage.now_ms();
    let prepared = match issue {
        LabIssue::Fresh => state.issued_keys.issue(now),
        LabIssue::Expired => state.issued_keys.issue_expired(now),
    };
    Ok((StatusCode::CREATED, Json(prepared)).into_response())
}

/// `GET /orders?userId=&limit=`: newest first.
#[utoipa::path(
    get,
    path = "/orders",
    tag = "orders",
    params(ListQuery),
    responses((status = 200, description = "Orders, newest first.", body = Vec<Order>))
)]
pub async fn list(
    State(state): State<AppState>,
    query: ListQuery,
) -> Result<Json<Vec<Order>>, ApiError> {
    let orders = state
        .storage
        .list_orders(query.user_id.as_deref(), query.limit())
        .await?;
    Ok(Json(orders))
}

/// `GET /orders/{id}`.
#[utoipa::path(
    get,
    path = "/orders/{id}",
    tag = "orders",
    params(("id" = String, Path, description = "The order's id, as in its `Location`.")),
    responses((status = 200, description = "The order.", body = Order))
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Order>, ApiError> {
    let order = state.storage.find_order(&id).await?;
    order.map(Json).ok_or(ApiError::NotFound(Missing::Order))
}

/// `GET /idempotency-records?limit=`: what the server remembers, newest first.
#[utoipa::path(
    get,
    path = "/idempotency-records",
    tag = "orders",
    params(ListQuery),
    responses((
        status = 200,
        description = "Every key the server remembers, newest first (`userId` is accepted and \
            does not filter: a record is the key's, not a learner's).",
        body = Vec<IdempotencyRecordView>
    ))
)]
pub async fn records(
    State(state): State<AppState>,
    query: ListQuery,
) -> Result<Json<Vec<IdempotencyRecordView>>, ApiError> {
    let now = state.storage.now_ms();
    let records = state.storage.list_records(query.limit()).await?;
    Ok(Json(
        records.into_iter().map(|r| record_view(r, now)).collect(),
    ))
}

fn record_view(record: Record, now_ms: i64) -> IdempotencyRecordView {
    let expired = record.expires_at_ms <= now_ms;
    let (state, stored_status, order_id, locked_until) = match record.state {
        RecordState::InFlight {
            locked_until_ms, ..
        } => (
            RecordStateView::InFlight,
            None,
            None,
            Some(rfc3339(locked_until_ms)),
        ),
        RecordState::Completed { response, order_id } => (
            RecordStateView::Completed,
            Some(response.status),
            order_id,
            None,
        ),
    };
    IdempotencyRecordView {
        key: record.key.to_string(),
        state: if expired {
            RecordStateView::Expired
        } else {
            state
        },
        fingerprint_prefix: record.fingerprint.as_str().chars().take(12).collect(),
        stored_status,
        order_id,
        replay_count: record.replay_count,
        created_at: rfc3339(record.created_at_ms),
        expires_at: rfc3339(record.expires_at_ms),
        locked_until,
    }
}

/// A stored answer as HTTP: the same status, body bytes, `Content-Type` and `Location`; and,
/// for the lab, whether this request outlived its lease.
fn stored(response: StoredResponse, replayed: bool, lease: Lease) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut http = (status, response.body).into_response();
    let headers = http.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&response.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(value) = response
        .location
        .and_then(|l| HeaderValue::from_str(&l).ok())
    {
        headers.insert(header::LOCATION, value);
    }
    if replayed {
        headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    http.extensions_mut().insert(match replayed {
        true => access_log::Outcome::Replayed,
        false => access_log::Outcome::Created,
    });
    if let Some(note) = lease_note(lease) {
        let value = HeaderValue::from_static(note.header_value());
        http.headers_mut().insert(LAB_LEASE, value);
    }
    http
}

/// What the lab's `X-Lab-Lease` says of a request's lease: nothing when it was kept.
fn lease_note(lease: Lease) -> Option<LeaseNote> {
    match lease {
        Lease::Kept => None,
        Lease::OutlivedCommitted => Some(LeaseNote::OutlivedCommitted),
        Lease::OutlivedFenced => Some(LeaseNote::OutlivedFenced),
    }
}
