//! Idempotency keys as the page makes and shows them.

use crate::api::ISSUED_KEY_PREFIX;

/// A UUID v4 from `crypto.getRandomValues` (the `uuid` crate's `js` feature). That API works
/// in any context, unlike `crypto.randomUUID()`, which needs HTTPS or localhost.
pub fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A short form of a key for tables: its first eight characters. An issued key starts with
/// its expiry, the same for every key issued in one second, so it is told apart by the eight
/// characters of its random part instead: `srv_…3fa9c1e2`.
pub fn short_key(key: &str) -> String {
    let issued_random = key
        .strip_prefix(ISSUED_KEY_PREFIX)
        .and_then(|rest| rest.split('_').nth(1))
        .filter(|random| random.len() >= 8);
    match issued_random {
        Some(random) => format!("{ISSUED_KEY_PREFIX}…{}", &random[..8]),
        None if key.chars().count() <= 10 => key.to_owned(),
        None => format!("{}…", key.chars().take(8).collect::<String>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_tell_keys_apart() {
        let issued =
            |random: &str| format!("srv_1795000000000_{random}_0123456789abcdef0123456789abcdef");
        let cases = [
            ("7f3a9c1e-0000-4000-8000-000000000000", "7f3a9c1e…"),
            ("short-key", "short-key"),
            (&issued("3fa9c1e2aaaaaaaaaaaaaaaaaaaaaaaa"), "srv_…3fa9c1e2"),
            (&issued("77b0c1d2aaaaaaaaaaaaaaaaaaaaaaaa"), "srv_…77b0c1d2"),
            // Not the issued form (no random part): shortened like any other key.
            ("srv_whatever", "srv_what…"),
        ];
        for (key, short) in cases {
            assert_eq!(short_key(key), short, "{key}");
        }
    }
}
