//! The rules of `validation` and `key` as JSON Schema, for the server's OpenAPI document:
//! built from the same constants, so the published contract and the checks cannot drift apart.

use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use super::key::PLACEHOLDER_KEYS;
use super::limits::{MAX_SKU_LEN, MAX_USER_ID_LEN};

/// Not blank, no control characters: `validate_text`'s rule as a pattern. "Blank" is
/// Rust's `char::is_whitespace`, spelled out, since `\s` means more in ECMA-262.
pub const TEXT_PATTERN: &str = concat!(
    r"^[^\u0000-\u001F\u007F-\u009F]*",
    r"[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]",
    r"[^\u0000-\u001F\u007F-\u009F]*$",
);
/// `parse_idempotency_key`'s syntax: 1–255 visible ASCII characters, bare (not starting
/// with a quote) or as a Structured Field string that escapes only `"` and `\`.
const KEY_SYNTAX: &str = r#"(?:[!#-~][!-~]{0,254}|"(?:[!#-\[\]-~]|\\["\\]){1,255}")"#;

/// `parse_idempotency_key`'s rule as a pattern: the key's syntax, less the
/// `PLACEHOLDER_KEYS`, bare or quoted, in any letter case (a negative lookahead).
pub fn idempotency_key_pattern() -> String {
    let placeholders = PLACEHOLDER_KEYS.map(in_any_case).join("|");
    format!(r#"^(?!(?:{placeholders}|"(?:{placeholders})")$){KEY_SYNTAX}$"#)
}

/// `null` as `[Nn][Uu][Ll][Ll]`: an ECMA-262 pattern cannot switch case-blindness on inline.
fn in_any_case(word: &str) -> String {
    word.chars()
        .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase()))
        .collect()
}

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
    text(MAX_USER_ID_LEN, "Whose order: any label, not blank.")
}

pub fn sku() -> Object {
    text(MAX_SKU_LEN, "The product's code.")
}

pub fn idempotency_key() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(idempotency_key_pattern()))
        .description(Some(
            "1–255 visible ASCII characters, bare or quoted (`\"k\"` and `k` are one key); \
             not `undefined` or `null`, what JavaScript sends for a missing key.",
        ))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_pattern_spells_out_the_placeholders_bare_and_quoted() {
        assert_eq!(
            idempotency_key_pattern(),
            concat!(
                r#"^(?!(?:[Uu][Nn][Dd][Ee][Ff][Ii][Nn][Ee][Dd]|[Nn][Uu][Ll][Ll]"#,
                r#"|"(?:[Uu][Nn][Dd][Ee][Ff][Ii][Nn][Ee][Dd]|[Nn][Uu][Ll][Ll])")$)"#,
                r#"(?:[!#-~][!-~]{0,254}|"(?:[!#-\[\]-~]|\\["\\]){1,255}")$"#,
            )
        );
    }
}
