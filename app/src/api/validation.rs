//! The rules a body keeps beyond its JSON shape, from the limits in `limits`; the server
//! enforces them, and `schema` states the same limits in the OpenAPI document.

use super::bodies::{CreateOrderRequest, ExpireKeyRequest, ResetRequest};
use super::key::{parse_idempotency_key, KeyError};
use super::limits::{MAX_ITEMS, MAX_QTY, MAX_SKU_LEN, MAX_USER_ID_LEN};

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
    /// An idempotency key, not `undefined` or `null` (`key::PLACEHOLDER_KEYS`).
    NotAPlaceholderKey,
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
            Self::NotAPlaceholderKey => {
                "must be a key the client made, not undefined or null: the text JavaScript \
                 writes for a missing value"
                    .into()
            }
        }
    }
}

/// The rule a key that `parse_idempotency_key` refused breaks.
impl From<KeyError> for FieldRule {
    fn from(error: KeyError) -> Self {
        match error {
            KeyError::Malformed(_) => Self::IdempotencyKey,
            KeyError::Placeholder => Self::NotAPlaceholderKey,
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

impl ResetRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        validate_user_id(&self.user_id)
    }
}

impl ExpireKeyRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        validate_user_id(&self.user_id)?;
        match parse_idempotency_key(&self.idempotency_key) {
            Ok(_) => Ok(()),
            Err(error) => Err(FieldError::new("idempotencyKey", error.into())),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::bodies::OrderItem;

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
        for placeholder in ["undefined", "\"null\""] {
            let error = request(placeholder).validate().unwrap_err();
            assert_eq!(error.field, "idempotencyKey");
            assert_eq!(error.rule, FieldRule::NotAPlaceholderKey, "{placeholder:?}");
        }
    }
}
