//! Server-issued keys (`POST /orders/prepare`): signed tokens, so no table is needed to issue
//! them and calling prepare twice is harmless.
//!
//! Form: `srv_<expiry ms>_<32 hex random>_<32 hex HMAC-SHA256 of the first two parts>`.
//! The signing secret lives in the database, so it survives restarts and every server
//! process on the same database accepts the keys the others issued.

use std::time::Duration;

use app::api::{PreparedKey, ISSUED_KEY_PREFIX};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::storage::{Storage, StorageError};
use crate::time::{now_ms, rfc3339};

const SECRET_NAME: &str = "issued-key-hmac";
const SIGNATURE_BYTES: usize = 16;

/// What the server makes of a key a client sent.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The client made it up: any well-formed key is welcome.
    Client,
    /// We issued it and it may still start an operation.
    IssuedValid,
    /// We issued it, but too long ago to start one; a retry of a finished one may still replay.
    IssuedExpired,
}

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

    pub fn issue(&self) -> PreparedKey {
        let expires_at_ms = now_ms() + i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX / 4);
        let random: [u8; 16] = rand::random();
        let body = format!("{ISSUED_KEY_PREFIX}{expires_at_ms}_{}", hex::encode(random));
        let signature = hex::encode(&self.sign(&body)[..SIGNATURE_BYTES]);
        PreparedKey {
            idempotency_key: format!("{body}_{signature}"),
            expires_at: rfc3339(expires_at_ms),
        }
    }

    pub fn origin(&self, key: &str) -> Result<KeyOrigin, ForgedKey> {
        if !key.starts_with(ISSUED_KEY_PREFIX) {
            return Ok(KeyOrigin::Client);
        }
        let (body, signature) = key.rsplit_once('_').ok_or(ForgedKey)?;
        let signature = hex::decode(signature).map_err(|_| ForgedKey)?;
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        mac.verify_truncated_left(&signature)
            .map_err(|_| ForgedKey)?;
        if signature.len() != SIGNATURE_BYTES {
            return Err(ForgedKey);
        }
        let expires_at_ms: i64 = body[ISSUED_KEY_PREFIX.len()..]
            .split('_')
            .next()
            .and_then(|ms| ms.parse().ok())
            .ok_or(ForgedKey)?;
        Ok(if expires_at_ms > now_ms() {
            KeyOrigin::IssuedValid
        } else {
            KeyOrigin::IssuedExpired
        })
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

    fn keys(ttl: Duration) -> IssuedKeys {
        IssuedKeys {
            secret: b"test secret".to_vec(),
            ttl,
        }
    }

    #[test]
    fn issued_keys_verify_and_forgeries_do_not() {
        let keys = keys(Duration::from_secs(60));
        let issued = keys.issue().idempotency_key;
        assert_eq!(keys.origin(&issued), Ok(KeyOrigin::IssuedValid));
        assert_eq!(keys.origin("3f2a-client-key"), Ok(KeyOrigin::Client));
        let mut tampered = issued.clone();
        tampered.replace_range(4..5, if &issued[4..5] == "9" { "8" } else { "9" });
        assert_eq!(keys.origin(&tampered), Err(ForgedKey));
        assert_eq!(keys.origin("srv_123_abc_def"), Err(ForgedKey));
        assert_eq!(keys.origin(&issued[..issued.len() - 2]), Err(ForgedKey));
    }

    #[test]
    fn issued_keys_expire() {
        let keys = keys(Duration::ZERO);
        let issued = keys.issue().idempotency_key;
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(keys.origin(&issued), Ok(KeyOrigin::IssuedExpired));
    }
}
