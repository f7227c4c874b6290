//! The `Idempotency-Key` header's rule, which the server checks and the OpenAPI document
//! states (`schema::idempotency_key_pattern`): its syntax, and the two texts that are no key.

/// Server-issued keys start with this, so the server knows to check their signature.
pub const ISSUED_KEY_PREFIX: &str = "srv_";

/// What JavaScript writes where a value is missing: `String(undefined)` and `String(null)`.
/// `fetch` sends `Idempotency-Key: undefined` when the variable meant to hold the key was never
/// set, as the chapter's client B does when its prepare call fails. No client that made a key
/// on purpose sends these, and every client with that bug sends the same one: taken as a key,
/// it would make one client's order look like another's retry (an identical order swallowed
/// as a replay, a different one refused with 422). So exactly these two are refused, in any
/// letter case and bare or quoted (a client that re-cases or quotes a missing value still has
/// no key); `undefined-1` or `nil` is an ordinary key.
pub const PLACEHOLDER_KEYS: [&str; 2] = ["undefined", "null"];

/// Why a header value is not a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// Not 1–255 visible ASCII characters, bare or quoted: what is wrong, in English.
    Malformed(&'static str),
    /// One of `PLACEHOLDER_KEYS`: the client had no key and sent the text of a missing value.
    Placeholder,
}

/// Splits a header value into the key it carries: the IETF form (a quoted
/// Structured Field string, with `\"` and `\\` escapes) or a bare value.
/// `"k"` and `k` are the same key. The key must be 1–255 visible ASCII characters, and not
/// one of `PLACEHOLDER_KEYS`.
pub fn parse_idempotency_key(raw: &str) -> Result<String, KeyError> {
    let key = match raw.strip_prefix('"') {
        Some(rest) => unquote_sf_string(rest).map_err(KeyError::Malformed)?,
        None => raw.to_owned(),
    };
    if key.is_empty() {
        return Err(KeyError::Malformed("the key is empty"));
    }
    if key.len() > 255 {
        return Err(KeyError::Malformed("the key is longer than 255 characters"));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(KeyError::Malformed(
            "the key may hold only visible ASCII characters (no spaces or control characters)",
        ));
    }
    if is_placeholder(&key) {
        return Err(KeyError::Placeholder);
    }
    Ok(key)
}

fn is_placeholder(key: &str) -> bool {
    PLACEHOLDER_KEYS
        .iter()
        .any(|placeholder| key.eq_ignore_ascii_case(placeholder))
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
    fn the_texts_of_a_missing_value_are_refused_and_nothing_else() {
        for placeholder in [
            "undefined",
            "null",
            "\"undefined\"",
            "\"null\"",
            "Undefined",
            "NULL",
            "\"NuLl\"",
        ] {
            assert_eq!(
                parse_idempotency_key(placeholder),
                Err(KeyError::Placeholder),
                "{placeholder:?}"
            );
        }
        for key in ["undefined-1", "nullable", "nil", "None", "undefined\"", "0"] {
            assert_eq!(parse_idempotency_key(key), Ok(key.into()), "{key:?}");
        }
        // A malformed key stays malformed, whatever it spells.
        assert!(matches!(
            parse_idempotency_key("\"null"),
            Err(KeyError::Malformed(_))
        ));
    }
}
