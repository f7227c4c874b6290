//! The `Idempotency-Key` header's syntax, which the server checks and the OpenAPI document
//! states (`schema::IDEMPOTENCY_KEY_PATTERN`).

/// Server-issued keys start with this, so the server knows to check their signature.
pub const ISSUED_KEY_PREFIX: &str = "srv_";

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
}
