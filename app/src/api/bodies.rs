//! The JSON bodies of requests and answers. JSON is camelCase on the wire, as in the
//! chapter's TypeScript clients.

use serde::{Deserialize, Serialize};

/// `POST /orders` body.
///
/// Field order here is the canonical order of the request fingerprint, so two
/// bodies that differ only in key order or whitespace are the same request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateOrderRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::user_id))]
    pub user_id: String,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 50))]
    pub items: Vec<OrderItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderItem {
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::sku))]
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

/// `POST /lab/reset` body: whose orders and records to forget. Other learners keep theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::user_id))]
    pub user_id: String,
}

/// `POST /lab/expire-key` body: make this learner's record under this key expire now, as if
/// its TTL had run out, so the next request with the key starts a new operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpireKeyRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::user_id))]
    pub user_id: String,
    /// As sent in the `Idempotency-Key` header: bare or quoted.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = super::schema::idempotency_key)
    )]
    pub idempotency_key: String,
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
    /// Which database holds the keys.
    pub backend: Backend,
    /// How long a record keeps its key: after that, the same key starts a new operation.
    pub record_ttl_secs: u64,
    /// How long a server-issued key may start an order.
    pub issued_key_ttl_secs: u64,
    /// How long a request holds its key before another may take it over.
    pub lease_secs: u64,
}

/// The database a server keeps its keys in: `"sqlite"` or `"postgres"` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const ALL: [Self; 2] = [Self::Sqlite, Self::Postgres];

    /// Its name on the wire and in the server's logs.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|backend| backend.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_backend_is_its_name_on_the_wire() {
        for backend in Backend::ALL {
            let json = serde_json::to_string(&backend).unwrap();
            assert_eq!(json, format!("\"{}\"", backend.name()));
            assert_eq!(Backend::from_name(backend.name()), Some(backend));
        }
    }
}
