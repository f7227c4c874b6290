//! What each panel says, as structs both languages fill (`en.rs`, `ja.rs`).

/// Picks one text out of the current language's panel texts.
pub type PanelText = fn(&PanelTexts) -> &'static str;

pub fn fill(template: &str, value: impl std::fmt::Display) -> String {
    template.replacen("{}", &value.to_string(), 1)
}

/// The texts of what a page needs to be live: the frame, the order panel and its status line.
pub struct Texts {
    pub page: PageTexts,
    pub order: OrderTexts,
    pub status: StatusTexts,
}

/// The texts of the panels that explain, which the browser builds from the second WASM file
/// (`pages/deferred.rs`). Apart from `Texts` so that only that file refers to them, and the
/// build's split step can move them there with it.
pub struct PanelTexts {
    pub mode: ModeTexts,
    pub controls: ControlsTexts,
    pub accidents: AccidentsTexts,
    pub keystore: KeyStoreTexts,
    pub timeline: TimelineTexts,
    pub tables: TablesTexts,
    pub sequence: SequenceTexts,
    pub scenarios: ScenariosTexts,
    pub mismatch: MismatchTexts,
    pub compare: CompareTexts,
    pub guide: GuideTexts,
    pub secure: SecureTexts,
    pub quiz: QuizTexts,
}

/// The masthead, the links between pages, the banners, the first page's invitation and the
/// not-found page.
pub struct PageTexts {
    pub title: &'static str,
    pub tagline: &'static str,
    pub language: &'static str,
    pub not_hydrated: &'static str,
    /// The first link on every page, for keyboards and screen readers: past the masthead.
    pub skip: &'static str,
    /// Names a table or drawing's box that scrolls sideways on a small screen: "{} (…)".
    pub scrolls: &'static str,
    pub server_unreachable: &'static str,
    pub not_found: &'static str,
    pub back: &'static str,
    /// The links to the lesson and to the sandbox.
    pub lesson: &'static str,
    pub sandbox: &'static str,
    /// On the first page, beside the order button.
    pub just_try: &'static str,
    /// On the first page, once a learner has done some steps: "Continue at step {}".
    pub resume: &'static str,
}

/// Who creates the key: the two choices, their gains and risks.
pub struct ModeTexts {
    pub heading: &'static str,
    pub client: &'static str,
    pub client_gain: &'static str,
    pub client_risk: &'static str,
    pub server: &'static str,
    pub server_gain: &'static str,
    pub server_risk: &'static str,
    pub server_note: &'static str,
    /// Shown when the order on screen was made in the other mode.
    pub applies_next: &'static str,
}

/// The order form and its buttons.
pub struct OrderTexts {
    pub heading: &'static str,
    pub user_id: &'static str,
    pub sku: &'static str,
    pub qty: &'static str,
    pub add_item: &'static str,
    pub remove_item: &'static str,
    pub place_order: &'static str,
    pub place_new_order: &'static str,
    pub place_order_user_key: &'static str,
    pub send_again: &'static str,
    pub new_order: &'static str,
    pub abandon: &'static str,
    pub abandon_note: &'static str,
    pub edited_note: &'static str,
    pub edited_note_user_key: &'static str,
}

/// The lab's knobs: server delay, the pending button, reset.
pub struct ControlsTexts {
    pub heading: &'static str,
    pub delay: &'static str,
    pub delay_note: &'static str,
    pub disable_while_pending: &'static str,
    pub disable_note: &'static str,
    pub reset: &'static str,
}

/// The accidents the learner can cause on purpose.
pub struct AccidentsTexts {
    pub heading: &'static str,
    pub new_key: &'static str,
    pub new_key_note: &'static str,
    pub reuse: &'static str,
    pub reuse_note: &'static str,
    pub reuse_not_server: &'static str,
    pub lose: &'static str,
    pub lose_note: &'static str,
    pub fail_prepare: &'static str,
    pub fail_prepare_note: &'static str,
}

/// Where the pending key lives: the three stores, the tab buttons, the nine cases.
pub struct KeyStoreTexts {
    pub heading: &'static str,
    pub intro: &'static str,
    pub memory: &'static str,
    pub memory_note: &'static str,
    pub session: &'static str,
    pub session_note: &'static str,
    pub local: &'static str,
    pub local_note: &'static str,
    pub switch_note: &'static str,
    pub reload: &'static str,
    pub second_tab: &'static str,
    pub duplicate_tab: &'static str,
    pub tabs_note: &'static str,
    pub caption: &'static str,
    pub col_store: &'static str,
    pub col_reload: &'static str,
    pub col_second: &'static str,
    pub col_duplicate: &'static str,
    pub memory_reload: &'static str,
    pub memory_second: &'static str,
    pub memory_duplicate: &'static str,
    pub session_reload: &'static str,
    pub session_second: &'static str,
    pub session_duplicate: &'static str,
    pub local_reload: &'static str,
    pub local_second: &'static str,
    pub local_duplicate: &'static str,
    pub why: &'static str,
}

/// The status line under the order form, and the operation's key.
pub struct StatusTexts {
    pub idle: &'static str,
    pub idle_server: &'static str,
    pub preparing: &'static str,
    pub sending: &'static str,
    pub waiting: &'static str,
    pub done: &'static str,
    /// Done, with a second order: the key's record had expired.
    pub done_again: &'static str,
    pub done_replayed: &'static str,
    pub failed: &'static str,
    pub resuming: &'static str,
    pub current_key: &'static str,
    pub key_expires: &'static str,
    /// Links from the status to the problem's page, right after a 409 or a 422.
    pub why_in_flight: &'static str,
    pub why_reused: &'static str,
    /// An attempt that got no answer: its status, and what that means (also in the attempts
    /// table, and in the status line once the page gives up).
    pub network_error: &'static str,
    pub explain_network: &'static str,
}

/// The attempts table: its columns, what each attempt means, its raw HTTP.
pub struct TimelineTexts {
    pub heading: &'static str,
    pub empty: &'static str,
    pub col_time: &'static str,
    pub col_key: &'static str,
    pub col_sent: &'static str,
    pub col_status: &'static str,
    pub col_replayed: &'static str,
    pub col_latency: &'static str,
    pub col_what: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub prepare_call: &'static str,
    pub extra_click: &'static str,
    pub explain_created: &'static str,
    pub explain_created_again: &'static str,
    pub explain_replayed: &'static str,
    pub explain_in_flight: &'static str,
    pub explain_mismatch: &'static str,
    pub explain_prepared: &'static str,
    pub explain_key_expired: &'static str,
    pub explain_interrupted: &'static str,
    pub lease_outlived_committed: &'static str,
    pub lease_outlived_fenced: &'static str,
    pub raw_http: &'static str,
    pub no_response: &'static str,
    pub copy: &'static str,
}

/// The server's orders and idempotency records.
pub struct TablesTexts {
    pub orders: &'static str,
    pub orders_empty: &'static str,
    pub only_mine: &'static str,
    pub col_order: &'static str,
    pub col_user: &'static str,
    pub col_items: &'static str,
    pub col_created: &'static str,
    pub duplicate: &'static str,
    pub duplicate_title: &'static str,
    pub records: &'static str,
    pub records_empty: &'static str,
    /// Until the server's first answer arrives.
    pub loading: &'static str,
    pub kept_in_sqlite: &'static str,
    /// The expiry policy: record TTL, lease, issued-key TTL, in that order.
    pub policy: &'static str,
    /// Under an in-flight record's expiry: when its claim may be taken over.
    pub lease_until: &'static str,
    /// A whole number of hours, minutes and seconds: "{} h", "{} min", "{} s".
    pub units: [&'static str; 3],
    pub expire_now: &'static str,
    pub expire_now_title: &'static str,
    pub kept_in_postgres: &'static str,
    pub col_state: &'static str,
    pub col_fingerprint: &'static str,
    pub col_stored: &'static str,
    pub col_replays: &'static str,
    pub col_expires: &'static str,
    pub state_in_flight: &'static str,
    pub state_completed: &'static str,
    pub state_expired: &'static str,
    pub refresh: &'static str,
}

/// The sequence diagram: its stepper, lanes and arrows.
pub struct SequenceTexts {
    pub heading: &'static str,
    /// Names the diagram's text equivalent (a list of the same messages).
    pub as_list: &'static str,
    pub hint: &'static str,
    pub step_back: &'static str,
    pub step_forward: &'static str,
    pub step_all: &'static str,
    pub lane_client: &'static str,
    pub lane_server: &'static str,
    pub lane_database: &'static str,
    pub working: &'static str,
    pub claim: &'static str,
    pub commit: &'static str,
    pub at_once: &'static str,
    pub created: &'static str,
    pub lookup_done: &'static str,
    pub lookup_busy: &'static str,
    pub lookup_other: &'static str,
    pub refused: &'static str,
    pub issued: &'static str,
    pub lost: &'static str,
}

/// The one-click scenarios.
pub struct ScenariosTexts {
    pub heading: &'static str,
    pub confirm: &'static str,
    pub storm: &'static str,
    pub storm_hint: &'static str,
    pub reload: &'static str,
    pub reload_hint: &'static str,
    pub lost: &'static str,
    pub lost_hint: &'static str,
    pub new_key: &'static str,
    pub new_key_hint: &'static str,
    pub reuse: &'static str,
    pub reuse_hint: &'static str,
    pub prepare: &'static str,
    pub prepare_hint: &'static str,
}

/// A 422: the first request under the key beside the refused one.
pub struct MismatchTexts {
    pub title: &'static str,
    pub first: &'static str,
    pub now: &'static str,
    pub why: &'static str,
}

/// Client-generated and server-issued keys, side by side.
pub struct CompareTexts {
    pub heading: &'static str,
    pub aspect: &'static str,
    pub benefits: &'static str,
    pub costs: &'static str,
    pub pitfalls: &'static str,
    pub fits: &'static str,
    pub client_benefits: &'static str,
    pub server_benefits: &'static str,
    pub client_costs: &'static str,
    pub server_costs: &'static str,
    pub client_pitfalls: &'static str,
    pub server_pitfalls: &'static str,
    pub client_fits: &'static str,
    pub server_fits: &'static str,
}

/// The decision guide.
pub struct GuideTexts {
    pub heading: &'static str,
    pub flaky: &'static str,
    pub many: &'static str,
    pub ttl: &'static str,
    pub small: &'static str,
    pub client: &'static str,
    pub server: &'static str,
    pub default: &'static str,
}

/// Accident 3: crypto.randomUUID() outside secure contexts.
pub struct SecureTexts {
    pub heading: &'static str,
    pub now: &'static str,
    pub uuid: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
}

/// The quiz.
pub struct QuizTexts {
    pub heading: &'static str,
    pub q1: &'static str,
    pub case_pay: &'static str,
    pub case_partner: &'static str,
    pub case_admin: &'static str,
    pub why_pay: &'static str,
    pub why_partner: &'static str,
    pub why_admin: &'static str,
    pub q2: &'static str,
    pub opt_second: &'static str,
    pub opt_replay: &'static str,
    pub opt_422: &'static str,
    pub opt_overwrite: &'static str,
    pub why_422: &'static str,
    pub right: &'static str,
    pub wrong: &'static str,
    pub client: &'static str,
    pub server: &'static str,
    pub check_live: &'static str,
    pub live_result: &'static str,
}
