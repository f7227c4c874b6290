//! The HTTP API's words, defined once and used by the server and the browser alike: the
//! bodies (`bodies`), the rules they keep (`validation`), the key's syntax (`key`), the
//! headers and their values (`headers`), and the problems an answer can name (`problem`).
//! Everything is re-exported here, so callers write `app::api::X`.

mod bodies;
mod events;
mod headers;
mod key;
mod limits;
mod problem;
#[cfg(feature = "openapi")]
pub mod schema;
mod validation;

pub use bodies::{
    Backend, CreateOrderRequest, ExpireKeyRequest, Health, IdempotencyRecordView, Order, OrderItem,
    PreparedKey, RecordStateView, ResetRequest,
};
pub use events::{TablesChanged, EVENTS_PATH, TABLES_CHANGED_EVENT};
pub use headers::{
    LeaseNote, CONTENT_TYPE, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, JSON_CONTENT_TYPE, LAB_DELAY_MS,
    LAB_FAIL, LAB_FAIL_PREPARE, LAB_ISSUE, LAB_ISSUE_EXPIRED, LAB_LEASE, LAB_OPERATION,
    MAX_LAB_DELAY_MS, RETRY_AFTER,
};
pub use key::{parse_idempotency_key, KeyError, ISSUED_KEY_PREFIX, PLACEHOLDER_KEYS};
pub use limits::{MAX_BODY_BYTES, MAX_ITEMS, MAX_QTY, MAX_SKU_LEN, MAX_USER_ID_LEN};
pub use problem::{Problem, ProblemType, PROBLEM_CONTENT_TYPE};
pub use validation::{FieldError, FieldRule};
