//! The learner's side of the protocol: one operation, its key, its attempts.
//!
//! An operation is what the learner meant ("order these items once"); an attempt is one HTTP
//! request for it. The operation — key, body, attempts — is saved before each request leaves
//! (in sessionStorage unless the learner picks another `KeyStore`), so a reload finds it and
//! carries on with the same key.

pub mod client;
pub mod driver;
pub mod operation;
pub mod retry;

pub use crate::api::LeaseNote;
pub use operation::Operation;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::{CreateOrderRequest, IdempotencyRecordView, Order, OrderItem};
use crate::i18n::Lang;

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Phase {
    /// Not finished: a reload resumes it.
    Pending,
    /// A final answer arrived.
    Done { replayed: bool },
    /// A final refusal, or retries ran out.
    Failed { title: String, detail: String },
}

/// Why an attempt ended the way it did, in the learner's terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Explain {
    Sending,
    Created,
    /// Created, though this operation's key had already made an order: its record had
    /// expired, so the server took the key as new. A second order under one key.
    CreatedAgain,
    Replayed,
    InFlight,
    Mismatch,
    Network(String),
    Prepared,
    KeyExpired,
    Problem {
        title: String,
        detail: String,
    },
    /// The page was reloaded while this attempt was on its way.
    Interrupted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttemptKind {
    Order,
    /// A click while the operation's own attempt was still running.
    ExtraClick,
    Prepare,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptLog {
    pub id: u32,
    pub kind: AttemptKind,
    pub at: String,
    pub key: Option<String>,
    pub sent: String,
    pub status: Option<u16>,
    pub replayed: bool,
    pub latency_ms: Option<u32>,
    /// The lab delay the attempt asked for: at 0 the server claims and commits at once.
    #[serde(default)]
    pub delay_ms: u32,
    pub explain: Explain,
    /// The server's own words, from its problem details (title: detail).
    #[serde(default)]
    pub server_says: Option<String>,
    /// What became of a request that held its claim longer than the server's lease.
    #[serde(default)]
    pub lease: Option<LeaseNote>,
    /// The request and response as raw HTTP, and a curl command that repeats the request.
    #[serde(default)]
    pub exchange: Option<Exchange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub request: String,
    pub response: Option<String>,
    pub curl: String,
}

/// What the page is doing right now (not saved: a reload starts it again).
#[derive(Debug, Clone, PartialEq)]
pub enum Activity {
    Idle,
    Preparing,
    Sending { attempt: u32 },
    Waiting { seconds: u32 },
}

/// Everything the lab's components share, as signals.
#[derive(Clone, Copy)]
pub struct LabState {
    pub lang: RwSignal<Lang>,
    pub hydrated: RwSignal<bool>,
    pub settings: RwSignal<Settings>,
    pub draft: RwSignal<CreateOrderRequest>,
    pub operation: RwSignal<Option<Operation>>,
    pub activity: RwSignal<Activity>,
    /// Bumped whenever an operation starts or is abandoned, so an old retry loop stops.
    pub generation: RwSignal<u64>,
    pub orders: RwSignal<Vec<Order>>,
    pub records: RwSignal<Vec<IdempotencyRecordView>>,
    pub server_up: RwSignal<bool>,
    /// The server's database and expiry policy, once `/health` has said.
    pub health: RwSignal<Option<crate::api::Health>>,
    /// Notified when the server's tables may have changed: the tables panel fetches them again.
    pub tables_stale: Trigger,
}

impl LabState {
    pub fn new(lang: Lang) -> Self {
        Self {
            lang: RwSignal::new(lang),
            hydrated: RwSignal::new(false),
            settings: RwSignal::new(Settings::default()),
            draft: RwSignal::new(default_draft("learner")),
            operation: RwSignal::new(None),
            activity: RwSignal::new(Activity::Idle),
            generation: RwSignal::new(0),
            orders: RwSignal::new(Vec::new()),
            records: RwSignal::new(Vec::new()),
            server_up: RwSignal::new(true),
            health: RwSignal::new(None),
            tables_stale: Trigger::new(),
        }
    }

    /// The current operation's attempts (tracked: views re-render as attempts change).
    pub fn attempts(&self) -> Vec<AttemptLog> {
        self.operation
            .with(|op| op.as_ref().map(|op| op.attempts.clone()))
            .unwrap_or_default()
    }

    pub fn attempt_count(&self) -> usize {
        self.operation
            .with(|op| op.as_ref().map_or(0, |op| op.attempts.len()))
    }

    /// Something the learner did may have changed the orders or records.
    pub fn tables_changed(&self) {
        self.tables_stale.notify();
    }

    pub fn texts(&self) -> &'static crate::i18n::Texts {
        self.lang.get().texts()
    }

    pub fn panel_texts(&self) -> &'static crate::i18n::PanelTexts {
        self.lang.get().panel_texts()
    }
}

pub fn default_draft(user_id: &str) -> CreateOrderRequest {
    CreateOrderRequest {
        user_id: user_id.into(),
        items: vec![OrderItem {
            sku: "BOOK-11".into(),
            qty: 1,
        }],
    }
}

pub fn use_lab() -> LabState {
    expect_context::<LabState>()
}

/// A short form of a key for tables: its first eight characters. An issued key starts with
/// its expiry, the same for every key issued in one second, so it is told apart by the eight
/// characters of its random part instead: `srv_…3fa9c1e2`.
pub fn short_key(key: &str) -> String {
    let issued_random = key
        .strip_prefix(crate::api::ISSUED_KEY_PREFIX)
        .and_then(|rest| rest.split('_').nth(1))
        .filter(|random| random.len() >= 8);
    match issued_random {
        Some(random) => format!("{}…{}", crate::api::ISSUED_KEY_PREFIX, &random[..8]),
        None if key.chars().count() <= 10 => key.to_owned(),
        None => format!("{}…", key.chars().take(8).collect::<String>()),
    }
}

/// One line that says what a body asks for, e.g. `learner: BOOK-11 ×1, PEN ×2`.
pub fn summarize(body: &CreateOrderRequest) -> String {
    let items: Vec<String> = body
        .items
        .iter()
        .map(|i| format!("{} ×{}", i.sku, i.qty))
        .collect();
    format!("{}: {}", body.user_id, items.join(", "))
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

    #[test]
    fn settings_saved_before_the_key_store_existed_still_load() {
        let old = r#"{"mode":"Server","delay_ms":500,"disable_while_pending":true}"#;
        let settings: Settings = serde_json::from_str(old).expect("old settings load");
        assert_eq!(settings.mode, KeyMode::Server);
        assert_eq!(settings.key_store, KeyStore::Session);
    }
}
