//! The HTTP API's types, defined once and used by the server and the browser alike.
//!
//! JSON is camelCase on the wire, as in the chapter's TypeScript clients.

use serde::{Deserialize, Serialize};

/// The header that names one operation across all its attempts.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// Set to `true` on a response that is a stored answer sent again.
pub const IDEMPOTENT_REPLAYED: &str = "Idempotent-Replayed";
/// Lab control: hold the request this long after its claim, before the order commits.
pub const LAB_DELAY_MS: &str = "X-Lab-Delay-Ms";
/// Lab control: `X-Lab-Fail: prepare` makes `POST /orders/prepare` fail on purpose.
pub const LAB_FAIL: &str = "X-Lab-Fail";
/// Lab: on a response to a request that held its claim longer than its lease, what became
/// of it: `outlived-committed` (nobody took the key over, so it still committed) or
/// `outlived-fenced` (another request took over; this is that request's answer).
pub const LAB_LEASE: &str = "X-Lab-Lease";
/// Lab: names one operation (one intention) across all its attempts, whatever keys they carry,
/// so the page can tell two orders of one intention from two orders that merely look alike.
/// 1–64 characters of `A-Z a-z 0-9 -` (a UUID fits); stored with the order it creates.
pub const LAB_OPERATION: &str = "X-Lab-Operation";
/// Lab control: `X-Lab-Issue: expired` makes `POST /orders/prepare` issue a key whose expiry
/// has already passed, so the refusal of an expired issued key can be watched.
pub const LAB_ISSUE: &str = "X-Lab-Issue";
/// The largest lab delay the server accepts.
pub const MAX_LAB_DELAY_MS: u64 = 10_000;
/// Server-issued keys start with this, so the server knows to check their signature.
pub const ISSUED_KEY_PREFIX: &str = "srv_";

/// The media type of every JSON body the lab sends.
pub const CONTENT_TYPE_JSON: &str = "application/json";
/// How long a client should wait before it sends a request again (seconds).
pub const RETRY_AFTER: &str = "Retry-After";

/// The server's `X-Lab-Lease` note: the request outlived its lease, and then…
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeaseNote {
    /// …nobody had taken the key over, so its commit still went through.
    OutlivedCommitted,
    /// …another request had taken the key over; the commit was fenced off.
    OutlivedFenced,
}

impl LeaseNote {
    pub fn header_value(self) -> &'static str {
        match self {
            Self::OutlivedCommitted => "outlived-committed",
            Self::OutlivedFenced => "outlived-fenced",
        }
    }

    pub fn from_header(value: &str) -> Option<Self> {
        [Self::OutlivedCommitted, Self::OutlivedFenced]
            .into_iter()
            .find(|note| note.header_value() == value)
    }
}

/// `GET /events`: Server-Sent Events saying that orders or idempotency records changed.
pub const EVENTS_PATH: &str = "/events";
/// The name of the event `GET /events` sends when a learner's orders or records changed.
pub const TABLES_CHANGED_EVENT: &str = "tables-changed";

/// The data of a `tables-changed` event: whose orders or records changed; `None` when it may
/// be anyone's (the purge of expired records, the operator's wipe).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TablesChanged {
    pub user_id: Option<String>,
}

/// Limits on an order body; the server enforces them and the UI shows them.
pub const MAX_ITEMS: usize = 50;
pub const MAX_QTY: u32 = 99;
pub const MAX_USER_ID_LEN: usize = 64;
pub const MAX_SKU_LEN: usize = 32;
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// `POST /orders` body.
///
/// Field order here is the canonical order of the request fingerprint, so two
/// bodies that differ only in key order or whitespace are the same request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateOrderRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::user_id))]
    pub user_id: String,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 50))]
    pub items: Vec<OrderItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderItem {
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::sku))]
    pub sku: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 99))]
    #[serde(deserialize_with = "whole_number")]
    pub qty: u32,
}

/// A count as JSON writes it: `2`, or `2.0`, which JSON Schema calls the same integer. A
/// fraction or a number past `u32` is refused, as for any integer field.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    use serde::de::{Error, Unexpected};
    let number = serde_json::Number::deserialize(deserializer)?;
    let whole = match (number.as_u64(), number.as_f64()) {
        (Some(n), _) => Some(n),
        (None, Some(f)) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) => {
            Some(f as u64)
        }
        _ => None,
    };
    whole.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
        let shown = number.as_f64().unwrap_or_default();
        D::Error::invalid_value(
            Unexpected::Float(shown),
            &"a whole number from 0 to 4294967295",
        )
    })
}

/// A rule a body broke, with the JSON path of the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub rule: FieldRule,
}

/// The rules a body's fields must keep; each language words them its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRule {
    /// 1 to `max` characters, not blank.
    Length { max: usize },
    /// No NUL, tab, line break or other control character.
    NoControlCharacters,
    /// 1 to `max` items.
    ItemCount { max: usize },
    /// A quantity from 1 to `max`.
    Quantity { max: u32 },
    /// An idempotency key: 1–255 visible ASCII characters, bare or quoted.
    IdempotencyKey,
}

impl FieldError {
    fn new(field: impl Into<String>, rule: FieldRule) -> Self {
        Self {
            field: field.into(),
            rule,
        }
    }

    /// The rule in English, after the field's name ("userId must be …").
    pub fn message(&self) -> String {
        self.rule.english()
    }
}

impl FieldRule {
    /// In English, after the field's name.
    pub fn english(self) -> String {
        match self {
            Self::Length { max } => format!("must be 1 to {max} characters, not blank"),
            Self::NoControlCharacters => {
                "must not contain control characters (such as NUL, tab or newline)".into()
            }
            Self::ItemCount { max } => format!("must hold 1 to {max} items"),
            Self::Quantity { max } => format!("must be between 1 and {max}"),
            Self::IdempotencyKey => {
                "must be 1 to 255 visible ASCII characters, bare or quoted as in the header".into()
            }
        }
    }
}

impl CreateOrderRequest {
    /// Checks what the type system cannot. Returns the first broken rule.
    pub fn validate(&self) -> Result<(), FieldError> {
        validate_user_id(&self.user_id)?;
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            let rule = FieldRule::ItemCount { max: MAX_ITEMS };
            return Err(FieldError::new("items", rule));
        }
        for (i, item) in self.items.iter().enumerate() {
            validate_text(&format!("items[{i}].sku"), &item.sku, MAX_SKU_LEN)?;
            if !(1..=MAX_QTY).contains(&item.qty) {
                let rule = FieldRule::Quantity { max: MAX_QTY };
                return Err(FieldError::new(format!("items[{i}].qty"), rule));
            }
        }
        Ok(())
    }
}

/// `POST /lab/reset` body: whose orders and records to forget. Other learners keep theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::user_id))]
    pub user_id: String,
}

impl ResetRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        validate_user_id(&self.user_id)
    }
}

/// `POST /lab/expire-key` body: make this learner's record under this key expire now, as if
/// its TTL had run out, so the next request with the key starts a new operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpireKeyRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::user_id))]
    pub user_id: String,
    /// As sent in the `Idempotency-Key` header: bare or quoted.
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::idempotency_key))]
    pub idempotency_key: String,
}

impl ExpireKeyRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        validate_user_id(&self.user_id)?;
        match parse_idempotency_key(&self.idempotency_key) {
            Ok(_) => Ok(()),
            Err(_) => Err(FieldError::new("idempotencyKey", FieldRule::IdempotencyKey)),
        }
    }
}

/// The rules for a `userId`, wherever one is sent.
fn validate_user_id(user_id: &str) -> Result<(), FieldError> {
    validate_text("userId", user_id, MAX_USER_ID_LEN)
}

/// A text field: 1 to `max` characters, not blank, no control characters.
fn validate_text(field: &str, text: &str, max: usize) -> Result<(), FieldError> {
    if text.trim().is_empty() || text.chars().count() > max {
        return Err(FieldError::new(field, FieldRule::Length { max }));
    }
    if has_control_characters(text) {
        return Err(FieldError::new(field, FieldRule::NoControlCharacters));
    }
    Ok(())
}

/// NUL, tabs, line breaks and the like: invisible in every table that shows the field, and
/// NUL cannot be stored in a PostgreSQL text column at all.
fn has_control_characters(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// An order as the server stores and returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: String,
    pub user_id: String,
    pub items: Vec<OrderItem>,
    /// RFC 3339, UTC.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    pub idempotency_key: String,
    /// The lab's `X-Lab-Operation` of the attempt that created it: orders that share one
    /// came from one intention, whatever their keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab_operation: Option<String>,
}

/// `POST /orders/prepare` answer: a key the server issued, and until when it may start an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PreparedKey {
    pub idempotency_key: String,
    /// RFC 3339, UTC.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub expires_at: String,
}

/// Where an idempotency record is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum RecordStateView {
    /// Claimed by a request that has not finished yet.
    InFlight,
    /// Finished: its response is stored and replayed.
    Completed,
    /// Past its TTL: the key is new again, and the purge will delete the row.
    Expired,
}

/// One row of `GET /idempotency-records`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyRecordView {
    pub key: String,
    pub state: RecordStateView,
    /// The first hex digits of the request fingerprint (SHA-256).
    pub fingerprint_prefix: String,
    /// The stored status, once completed.
    pub stored_status: Option<u16>,
    pub order_id: Option<String>,
    pub replay_count: u64,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    /// When the record is forgotten and the key becomes new again.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub expires_at: String,
    /// While in flight: when another request may take the claim over.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub locked_until: Option<String>,
}

/// `GET /health` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: String,
    pub database: String,
    /// Which database holds the keys: "sqlite" or "postgres".
    pub backend: String,
    /// How long a record keeps its key: after that, the same key starts a new operation.
    pub record_ttl_secs: u64,
    /// How long a server-issued key may start an order.
    pub issued_key_ttl_secs: u64,
    /// How long a request holds its key before another may take it over.
    pub lease_secs: u64,
}

/// An error answer: RFC 9457 problem details (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI that names the kind of problem; `/problems/<slug>` on this server explains it.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The JSON path of the offending field, when a body field is at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The rules above as JSON Schema, for the server's OpenAPI document: built from the same
/// constants, so the published contract and the checks cannot drift apart.
#[cfg(feature = "openapi")]
pub mod schema {
    use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

    /// Not blank, no control characters: `validate_text`'s rule as a pattern. "Blank" is
    /// Rust's `char::is_whitespace`, spelled out, since `\s` means more in ECMA-262.
    pub const TEXT_PATTERN: &str = concat!(
        r"^[^\u0000-\u001F\u007F-\u009F]*",
        r"[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]",
        r"[^\u0000-\u001F\u007F-\u009F]*$",
    );
    /// `parse_idempotency_key`'s syntax: 1–255 visible ASCII characters, bare (not starting
    /// with a quote) or as a Structured Field string that escapes only `"` and `\`.
    pub const IDEMPOTENCY_KEY_PATTERN: &str =
        r#"^(?:[!#-~][!-~]{0,254}|"(?:[!#-\[\]-~]|\\["\\]){1,255}")$"#;

    fn text(max: usize, description: &str) -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(max))
            .pattern(Some(TEXT_PATTERN))
            .description(Some(description))
            .build()
    }

    pub fn user_id() -> Object {
        text(super::MAX_USER_ID_LEN, "Whose order: any label, not blank.")
    }

    pub fn sku() -> Object {
        text(super::MAX_SKU_LEN, "The product's code.")
    }

    pub fn idempotency_key() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(IDEMPOTENCY_KEY_PATTERN))
            .description(Some(
                "1–255 visible ASCII characters, bare or quoted (`\"k\"` and `k` are one key).",
            ))
            .build()
    }
}

/// Splits a header value into the key it carries: the IETF form (a quoted
/// Structured Field string, with `\"` and `\\` escapes) or a bare value.
/// `"k"` and `k` are the same key. The key must be 1–255 visible ASCII characters.
pub fn parse_idempotency_key(raw: &str) -> Result<String, &'static str> {
    let key = match raw.strip_prefix('"') {
        Some(rest) => unquote_sf_string(rest)?,
        None => raw.to_owned(),
    };
    if key.is_empty() {
        return Err("the key is empty");
    }
    if key.len() > 255 {
        return Err("the key is longer than 255 characters");
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(
            "the key may hold only visible ASCII characters (no spaces or control characters)",
        );
    }
    Ok(key)
}

/// Reads the rest of a Structured Field string after its opening quote (RFC 8941 §4.2.5).
fn unquote_sf_string(rest: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(rest.len());
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped @ ('"' | '\\')) => out.push(escaped),
                _ => return Err("a quoted key may escape only \" and \\"),
            },
            '"' => {
                return if chars.next().is_none() {
                    Ok(out)
                } else {
                    Err("text follows the closing quote of the key")
                };
            }
            c if (' '..='~').contains(&c) => out.push(c),
            _ => return Err("a quoted key may hold only printable ASCII"),
        }
    }
    Err("the quoted key has no closing quote")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_and_bare_keys_are_the_same_key() {
        assert_eq!(parse_idempotency_key("\"abc\""), Ok("abc".into()));
        assert_eq!(parse_idempotency_key("abc"), Ok("abc".into()));
        assert_eq!(parse_idempotency_key(r#""a\"b\\c""#), Ok(r#"a"b\c"#.into()));
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in [
            "",
            "\"\"",
            "a b",
            "\"a b\"",
            "\"abc",
            "\"a\"b",
            r#""a\nb""#,
            "é",
        ] {
            assert!(parse_idempotency_key(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(parse_idempotency_key(&"k".repeat(255)).is_ok());
        assert!(parse_idempotency_key(&"k".repeat(256)).is_err());
    }

    #[test]
    fn a_quantity_may_be_written_as_a_whole_float() {
        let item = |qty: &str| {
            serde_json::from_str::<OrderItem>(&format!(r#"{{"sku":"A","qty":{qty}}}"#))
                .map(|item| item.qty)
        };
        assert_eq!(item("2").unwrap(), 2);
        assert_eq!(item("2.0").unwrap(), 2);
        for bad in ["2.5", "-1", "4294967296", "\"2\"", "1e400"] {
            assert!(item(bad).is_err(), "{bad} was taken");
        }
    }

    #[test]
    fn validation_names_the_field() {
        let mut req = CreateOrderRequest {
            user_id: "u1".into(),
            items: vec![OrderItem {
                sku: "A-1".into(),
                qty: 2,
            }],
        };
        assert_eq!(req.validate(), Ok(()));
        req.items[0].qty = 0;
        assert_eq!(req.validate().unwrap_err().field, "items[0].qty");
        req.items[0].qty = 1;
        for control in ["\u{0}", "\t", "\n", "\u{1f}", "\u{7f}"] {
            req.items[0].sku = format!("A{control}1");
            assert_eq!(req.validate().unwrap_err().field, "items[0].sku");
            req.items[0].sku = "A-1".into();
            req.user_id = format!("u{control}1");
            assert_eq!(req.validate().unwrap_err().field, "userId");
            req.user_id = "u1".into();
        }
        req.items.clear();
        assert_eq!(req.validate().unwrap_err().field, "items");
    }

    #[test]
    fn an_expire_key_request_takes_the_key_as_the_header_does() {
        let request = |key: &str| ExpireKeyRequest {
            user_id: "u1".into(),
            idempotency_key: key.into(),
        };
        assert_eq!(request("k-1").validate(), Ok(()));
        assert_eq!(request("\"k-1\"").validate(), Ok(()));
        for bad in ["", "a b", "\"open"] {
            let error = request(bad).validate().unwrap_err();
            assert_eq!(error.field, "idempotencyKey", "{bad:?}");
        }
    }
}
