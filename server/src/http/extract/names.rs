//! Reading serde's words about a struct's fields: they name the field at fault when the
//! path to it cannot (a field that is missing, unknown or given twice).

/// The field serde names after `<what> field`: `unknown field `x`, expected …` names `x`
/// for "unknown"; likewise "missing" and "duplicate".
pub fn field_named<'a>(words: &'a str, what: &str) -> Option<&'a str> {
    words
        .strip_prefix(what)?
        .strip_prefix(" field `")?
        .split('`')
        .next()
}

/// What serde says the struct takes, after an unknown field: "expected `userId` or `items`".
pub fn expected_fields(words: &str) -> &str {
    let named = field_named(words, "unknown").unwrap_or_default();
    words
        .strip_prefix(&format!("unknown field `{named}`, "))
        .unwrap_or_default()
}

/// A name a reader cannot see in a problem: empty, or only spaces and control characters.
pub fn unreadable(name: &str) -> bool {
    name.chars().all(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serdes_words_name_the_field() {
        let unknown = "unknown field `coupon`, expected `userId` or `items`";
        assert_eq!(field_named(unknown, "unknown"), Some("coupon"));
        assert_eq!(field_named(unknown, "missing"), None);
        assert_eq!(expected_fields(unknown), "expected `userId` or `items`");
        let empty = "unknown field ``, expected one of `a`, `b`, `c`";
        assert_eq!(field_named(empty, "unknown"), Some(""));
        assert_eq!(expected_fields(empty), "expected one of `a`, `b`, `c`");
        assert_eq!(
            field_named("duplicate field `limit`", "duplicate"),
            Some("limit")
        );
        assert_eq!(expected_fields("invalid digit found in string"), "");
    }

    #[test]
    fn a_name_of_spaces_or_control_characters_cannot_be_read() {
        for name in ["", " ", "\t", "\u{0}", " \n "] {
            assert!(unreadable(name), "{name:?}");
        }
        for name in ["a", " a ", "é"] {
            assert!(!unreadable(name), "{name:?}");
        }
    }
}
