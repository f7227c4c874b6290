//! The switches a learner can set: who makes the key, the lab's knobs, the accidents, and
//! where the pending key is kept.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum KeyMode {
    /// The page makes a UUID v4 once per operation.
    #[default]
    Client,
    /// The page asks `POST /orders/prepare` for a key.
    Server,
}

/// Where the page keeps its pending operation (key, body, attempts) before each request leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum KeyStore {
    /// Nowhere: a reload forgets the key.
    Memory,
    /// sessionStorage: this tab's reloads find it; a new tab does not.
    #[default]
    Session,
    /// localStorage: every tab of the site finds it, and it outlives the session.
    Local,
}

/// What the learner can switch; kept in localStorage across visits. A field missing from an
/// older saved copy takes its default, so old settings still load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub mode: KeyMode,
    pub delay_ms: u32,
    pub disable_while_pending: bool,
    pub only_mine: bool,
    /// Accident 1: a new key for every retry.
    pub new_key_every_retry: bool,
    /// Accident 2: one key per user, reused for every order.
    pub reuse_user_key: bool,
    /// The page stops waiting for its first attempt while the server still commits.
    pub lose_first_response: bool,
    /// The next `POST /orders/prepare` fails on purpose.
    pub fail_next_prepare: bool,
    /// Where the pending operation is kept: the key-store experiment.
    pub key_store: KeyStore,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            mode: KeyMode::Client,
            delay_ms: 2000,
            disable_while_pending: false,
            only_mine: true,
            new_key_every_retry: false,
            reuse_user_key: false,
            lose_first_response: false,
            fail_next_prepare: false,
            key_store: KeyStore::Session,
        }
    }
}

impl Settings {
    /// The defaults, keeping how the learner likes to view the tables.
    pub fn fresh_keeping_view(&self) -> Self {
        Self {
            only_mine: self.only_mine,
            ..Self::default()
        }
    }

    /// Accident 2 picks the key on the page: with server-issued keys it cannot apply.
    pub fn reuses_user_key(&self) -> bool {
        self.reuse_user_key && self.mode == KeyMode::Client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_saved_before_the_key_store_existed_still_load() {
        let old = r#"{"mode":"Server","delay_ms":500,"disable_while_pending":true}"#;
        let settings: Settings = serde_json::from_str(old).expect("old settings load");
        assert_eq!(settings.mode, KeyMode::Server);
        assert_eq!(settings.key_store, KeyStore::Session);
    }
}
