//! Server-issued keys (`POST /orders/prepare`): signed tokens, so no table is needed to issue
//! them and calling prepare twice is harmless.
//!
//! Form: `srv_<expiry ms>_<32 hex random>_<32 hex HMAC-SHA256 of the first two parts>`.
//! The signing secret lives in the database, so it survives restarts and every server
//! process on the same database accepts the keys the others issued.

use std::time::Duration;

use app::api::{PreparedKey, ISSUED_KEY_PREFIX};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::idempotency::record::{millis, IdempotencyKey, KeySource};
use crate::storage::{Storage, StorageError};
use crate::time::rfc3339;

const SECRET_NAME: &str = "issued-key-hmac";
const SIGNATURE_BYTES: usize = 16;
/// How long before issue the lab's expired keys ran out: a whole second, so that no clock
/// difference between server processes on one database can make one valid again.
const LAB_EXPIRED_AGO: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("this key starts with `{ISSUED_KEY_PREFIX}` but was not issued by this server")]
pub struct ForgedKey;

#[derive(Clone)]
pub struct IssuedKeys {
    secret: Vec<u8>,
    ttl: Duration,
}

impl IssuedKeys {
    pub async fn load(storage: &Storage, ttl: Duration) -> Result<Self, StorageError> {
        let fresh: [u8; 32] = rand::random();
        let secret = storage.secret(SECRET_NAME, &fresh).await?;
        Ok(Self { secret, ttl })
    }

    /// A new key, valid for the TTL from `now_ms` (the database's clock).
    pub fn issue(&self, now_ms: i64) -> PreparedKey {
        self.issue_until(now_ms + millis(self.ttl))
    }

    /// The lab's key that expired before use: signed like any other, its expiry already past,
    /// so the server's refusal of it (not a forgery's) can be watched.
    pub fn issue_expired(&self, now_ms: i64) -> PreparedKey {
        self.issue_until(now_ms - millis(LAB_EXPIRED_AGO))
    }

    fn issue_until(&self, expires_at_ms: i64) -> PreparedKey {
        let random: [u8; 16] = rand::random();
        let body = format!("{ISSUED_KEY_PREFIX}{expires_at_ms}_{}", hex::encode(random));
        let signature = hex::encode(&self.sign(&body)[..SIGNATURE_BYTES]);
        PreparedKey {
            idempotency_key: format!("{body}_{signature}"),
            expires_at: rfc3339(expires_at_ms),
        }
    }

    /// Who made `key`. An issued key has exactly one spelling, the one we issued: any altered
    /// character is a forgery, the letter case of its signature and of its prefix included,
    /// so that no second spelling of one prepared key can start a second order.
    pub fn origin(&self, key: &IdempotencyKey) -> Result<KeySource, ForgedKey> {
        let key = key.as_str();
        let claims_issued = key
            .get(..ISSUED_KEY_PREFIX.len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(ISSUED_KEY_PREFIX));
        if !claims_issued {
            return Ok(KeySource::Client);
        }
        let (body, signature) = key.rsplit_once('_').ok_or(ForgedKey)?;
        if signature.len() != SIGNATURE_BYTES * 2 {
            return Err(ForgedKey);
        }
        let signature_bytes = hex::decode(signature).map_err(|_| ForgedKey)?;
        if hex::encode(&signature_bytes) != signature {
            return Err(ForgedKey); // the same bytes in upper case: not the spelling we issued
        }
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        mac.verify_truncated_left(&signature_bytes)
            .map_err(|_| ForgedKey)?;
        let expires_at_ms: i64 = body[ISSUED_KEY_PREFIX.len()..]
            .split('_')
            .next()
            .and_then(|ms| ms.parse().ok())
            .ok_or(ForgedKey)?;
        Ok(KeySource::Issued { expires_at_ms })
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes a key of any length")
    }

    fn sign(&self, body: &str) -> Vec<u8> {
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idempotency::record::KeyOrigin;

    const NOW: i64 = 1_000_000;

    fn keys() -> IssuedKeys {
        IssuedKeys {
            secret: b"test secret".to_vec(),
            ttl: Duration::from_secs(60),
        }
    }

    fn key(text: &str) -> IdempotencyKey {
        IdempotencyKey::parse(text).unwrap()
    }

    #[test]
    fn issued_keys_verify_and_carry_their_expiry() {
        let keys = keys();
        let issued = keys.issue(NOW).idempotency_key;
        assert_eq!(
            keys.origin(&key(&issued)),
            Ok(KeySource::Issued {
                expires_at_ms: NOW + 60_000
            })
        );
        assert_eq!(
            keys.origin(&key(&format!("\"{issued}\""))),
            keys.origin(&key(&issued)),
            "quoted and bare are one key"
        );
        assert_eq!(keys.origin(&key("3f2a-client-key")), Ok(KeySource::Client));
    }

    #[test]
    fn the_labs_expired_key_is_genuine_and_already_past() {
        let keys = keys();
        let expired = keys.issue_expired(NOW).idempotency_key;
        let source = keys.origin(&key(&expired)).expect("signed like any other");
        assert_eq!(source.at(NOW), KeyOrigin::IssuedExpired);
    }

    #[test]
    fn an_issued_key_has_one_spelling() {
        let keys = keys();
        let issued = keys.issue(NOW).idempotency_key;
        let (body, signature) = issued.rsplit_once('_').unwrap();
        let mut altered_digit = issued.clone();
        altered_digit.replace_range(4..5, if &issued[4..5] == "9" { "8" } else { "9" });
        let spellings = [
            altered_digit,
            format!("{body}_{}", signature.to_ascii_uppercase()),
            format!("SRV_{}", &issued[4..]),
            format!("{body}_{signature}0"),
            issued[..issued.len() - 2].to_owned(),
            "srv_123_abc_def".to_owned(),
        ];
        for spelling in spellings {
            assert_eq!(keys.origin(&key(&spelling)), Err(ForgedKey), "{spelling}");
        }
    }
}
