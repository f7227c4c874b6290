//! The published contract: `GET /openapi.json`, an OpenAPI 3.1 document made from the code.
//!
//! Three sources, each said once:
//! - the routes: `http/mod.rs` registers each handler through `utoipa_axum::routes!`, so a
//!   route cannot exist without its operation in this document;
//! - each operation's body and success answer: `#[utoipa::path]` on its handler, with the
//!   schemas derived from the API types in `app::api` (derived only in the server's build);
//! - what operations share, added here: the headers a request may carry (with the syntax the
//!   server checks), and every problem an operation can answer with, under its status, its
//!   `type` limited to the ones that operation sends (each with its `ProblemType::status`).

use app::api::schema::idempotency_key_pattern;
use app::api::{
    LeaseNote, Problem, ProblemType, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, JSON_CONTENT_TYPE,
    LAB_DELAY_MS, LAB_FAIL, LAB_FAIL_PREPARE, LAB_ISSUE, LAB_ISSUE_EXPIRED, LAB_LEASE,
    LAB_OPERATION, PROBLEM_CONTENT_TYPE, RETRY_AFTER,
};
use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Map, Value};
use utoipa::OpenApi;

/// The contract's front page and the schemas no single operation names.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Idempotency lab",
        description = "Orders placed at most once per Idempotency-Key, as the IETF \
            Idempotency-Key draft and Stripe do it: the first final answer is stored and sent \
            again to every retry with the same key (marked `Idempotent-Replayed: true`). A key \
            is refused with 422 if it comes back with a different request, and with 409 while \
            its first request is still running. The lab's own endpoints (`/lab/…`) and headers \
            (`X-Lab-…`) let a learner slow a request down or make a step fail; a server started \
            with `--lab-controls false` refuses them. The pages (`/`, `/lesson/{n}`, \
            `/sandbox`) and their files (`/pkg/…`) are the browser's, not part of this API.",
        license(name = "MIT", identifier = "MIT")
    ),
    components(schemas(Problem)),
    tags(
        (name = "orders", description = "The idempotent order API."),
        (name = "lab", description = "The lab's controls: one learner's data, on demand."),
        (name = "service", description = "Health, metrics, this document, the problem pages."),
    )
)]
pub struct ApiDoc;

/// Which problems each operation can answer with.
const PROBLEMS: &[(&str, &str, &[ProblemType])] = {
    use ProblemType as P;
    &[
        (
            "post",
            "/orders",
            &[
                P::IdempotencyKeyMissing,
                P::IdempotencyKeyRepeated,
                P::IdempotencyKeyMalformed,
                P::IdempotencyKeyPlaceholder,
                P::IssuedKeyInvalid,
                P::IssuedKeyExpired,
                P::InvalidBody,
                P::InvalidLabDelay,
                P::InvalidLabOperation,
                P::RequestInFlight,
                P::BodyTooLarge,
                P::UnsupportedMediaType,
                P::IdempotencyKeyReused,
                P::InternalError,
            ],
        ),
        (
            "post",
            "/orders/prepare",
            &[P::InvalidLabIssue, P::LabControlsOff, P::LabFailure],
        ),
        ("get", "/orders", &[P::InvalidQuery, P::InternalError]),
        ("get", "/orders/{id}", &[P::NotFound, P::InternalError]),
        (
            "get",
            "/idempotency-records",
            &[P::InvalidQuery, P::InternalError],
        ),
        ("get", "/health", &[P::DatabaseUnavailable]),
        ("get", "/events", &[P::InvalidQuery]),
        ("get", "/problems/{slug}", &[P::NotFound]),
        (
            "post",
            "/lab/reset",
            &[
                P::InvalidBody,
                P::LabControlsOff,
                P::BodyTooLarge,
                P::UnsupportedMediaType,
                P::InternalError,
            ],
        ),
        (
            "post",
            "/lab/expire-key",
            &[
                P::InvalidBody,
                P::IdempotencyKeyPlaceholder,
                P::LabControlsOff,
                P::NotFound,
                P::RequestInFlight,
                P::BodyTooLarge,
                P::UnsupportedMediaType,
                P::InternalError,
            ],
        ),
    ]
};

/// The document served at `/openapi.json`, as bytes made once at start-up.
#[derive(Clone)]
pub struct Published(Bytes);

/// Completes the routes' document with the shared parts; `max_lab_delay_ms` is this
/// server's own limit.
pub fn publish(routes: utoipa::openapi::OpenApi, max_lab_delay_ms: u64) -> Published {
    let doc = ApiDoc::openapi().merge_from(routes);
    let mut doc = serde_json::to_value(doc).expect("an OpenAPI document is JSON");
    let paths = doc["paths"]
        .as_object_mut()
        .expect("the document has paths");
    add_request_headers(paths, max_lab_delay_ms);
    add_success_headers(paths);
    name_problem_types(paths);
    add_problems(paths);
    Published(Bytes::from(doc.to_string()))
}

/// `GET /openapi.json`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "service",
    responses((status = 200, description = "This document.", content_type = "application/json"))
)]
pub async fn document(Extension(Published(json)): Extension<Published>) -> Response {
    let mut response = json.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

fn operation<'a>(paths: &'a mut Map<String, Value>, method: &str, path: &str) -> &'a mut Value {
    paths
        .get_mut(path)
        .and_then(|item| item.get_mut(method))
        .unwrap_or_else(|| panic!("{method} {path} is not a route"))
}

fn header_parameter(name: &str, required: bool, description: &str, schema: Value) -> Value {
    json!({
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": schema,
    })
}

fn add_request_headers(paths: &mut Map<String, Value>, max_lab_delay_ms: u64) {
    let create = [
        header_parameter(
            IDEMPOTENCY_KEY,
            true,
            "Names one operation across all its attempts: make it once (a UUID v4 is the \
             usual choice), keep it, and send it with every retry. Bare or as a quoted string \
             (`\"k\"` and `k` are one key); never `undefined` or `null`, the text JavaScript \
             sends for a key that was never set. The pattern describes keys a client makes; a key \
             issued by `POST /orders/prepare` (it starts with `srv_`) is sent as issued, and \
             any other key starting with `srv_` is refused.",
            json!({ "type": "string", "pattern": client_key_pattern() }),
        ),
        header_parameter(
            LAB_DELAY_MS,
            false,
            "Lab: hold the request this many milliseconds after it claims its key, before the \
             order commits, so a retry can arrive while it is in flight.",
            json!({ "type": "integer", "minimum": 0, "maximum": max_lab_delay_ms }),
        ),
        header_parameter(
            LAB_OPERATION,
            false,
            "Lab: names the learner's intention across all its attempts, whatever keys they \
             carry; stored with the order it creates.",
            json!({ "type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$" }),
        ),
    ];
    let prepare = [
        header_parameter(
            LAB_FAIL,
            false,
            &format!(
                "Lab: `{LAB_FAIL_PREPARE}` makes this call fail on purpose (503); nothing is \
                 issued. Other values are ignored."
            ),
            json!({ "type": "string" }),
        ),
        header_parameter(
            LAB_ISSUE,
            false,
            &format!("Lab: `{LAB_ISSUE_EXPIRED}` issues a key whose expiry has already passed."),
            json!({ "type": "string", "enum": [LAB_ISSUE_EXPIRED] }),
        ),
    ];
    operation(paths, "post", "/orders")["parameters"] = Value::from(create.to_vec());
    operation(paths, "post", "/orders/prepare")["parameters"] = Value::from(prepare.to_vec());
}

/// The key syntax, less the `srv_` keys only this server may make: any other is refused.
fn client_key_pattern() -> String {
    idempotency_key_pattern().replacen('^', r#"^(?!"?srv_)"#, 1)
}

/// The headers of `POST /orders`' answer, stored or replayed.
fn add_success_headers(paths: &mut Map<String, Value>) {
    let created = &mut operation(paths, "post", "/orders")["responses"]["201"];
    created["headers"] = json!({
        "Location": {
            "description": "The order's own address, `/orders/{id}`.",
            "schema": { "type": "string" },
            "required": true,
        },
        IDEMPOTENT_REPLAYED: {
            "description": "`true` when this is the stored answer to an earlier attempt with \
                the same key, sent again; absent on the attempt that placed the order.",
            "schema": { "type": "string", "enum": ["true"] },
        },
        LAB_LEASE: {
            "description": format!(
                "Lab: this request held its key past its lease. `{}`: nobody took the key \
                 over, so it still committed. `{}`: another request took over; this is that \
                 request's answer.",
                LeaseNote::OutlivedCommitted.header_value(),
                LeaseNote::OutlivedFenced.header_value(),
            ),
            "schema": { "type": "string", "enum": LeaseNote::ALL.map(LeaseNote::header_value) },
        },
    });
}

/// `/problems/{slug}` exists for exactly the types the API sends.
fn name_problem_types(paths: &mut Map<String, Value>) {
    let slugs = ProblemType::ALL.map(ProblemType::slug);
    let page = operation(paths, "get", "/problems/{slug}");
    page["parameters"][0]["schema"] = json!({ "type": "string", "enum": slugs });
}

/// Each operation's problems, grouped by status.
fn add_problems(paths: &mut Map<String, Value>) {
    for (method, path, kinds) in PROBLEMS {
        let responses = &mut operation(paths, method, path)["responses"];
        for (status, types) in by_status(kinds) {
            responses[status.to_string()] = problem_response(status, &types);
        }
    }
}

fn by_status(kinds: &[ProblemType]) -> std::collections::BTreeMap<u16, Vec<String>> {
    let mut statuses = std::collections::BTreeMap::<u16, Vec<String>>::new();
    for kind in kinds {
        statuses.entry(kind.status()).or_default().push(kind.uri());
    }
    statuses
}

fn problem_response(status: u16, types: &[String]) -> Value {
    let mut response = json!({
        "description": format!("A problem (RFC 9457): {}.", types.join(", ")),
        "headers": {
            "Content-Language": {
                "description": "The language of `title` and `detail`: the `lab_lang` cookie's, \
                    else the first of `Accept-Language` the lab speaks (en, ja), else en.",
                "schema": { "type": "string", "enum": ["en", "ja"] },
                "required": true,
            },
        },
        "content": { PROBLEM_CONTENT_TYPE: { "schema": {
            "allOf": [{ "$ref": "#/components/schemas/Problem" }],
            "properties": {
                "type": { "enum": types },
                "status": { "const": status },
            },
        } } },
    });
    if status == 409 {
        response["headers"][RETRY_AFTER] = json!({
            "description": "Seconds to wait before retrying with the same key.",
            "schema": { "type": "integer", "minimum": 1 },
            "required": true,
        });
    }
    response
}
