//! The browser's side effects: HTTP, storage, clocks, cookies. Called only from effects and
//! event handlers, which run in the browser, never while the server renders the page.

use gloo_storage::{LocalStorage, SessionStorage, Storage};
use serde::de::DeserializeOwned;

use super::{KeyStore, Operation, Settings};
use crate::api::{
    CONTENT_TYPE, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, JSON_CONTENT_TYPE, LAB_LEASE, RETRY_AFTER,
};
use crate::i18n::{Lang, LANG_COOKIE};

/// The pending operation, in the store the learner chose (`KeyStore`). By default
/// sessionStorage: survives a reload of this tab, not a new tab — one pending operation per tab.
const OPERATION_KEY: &str = "idem-lab.operation";
/// localStorage: the learner's switches and name, across visits.
const SETTINGS_KEY: &str = "idem-lab.settings";
const USER_KEY: &str = "idem-lab.user";

/// The chosen store, read from the saved settings: every save and load agrees on it, and so
/// does every tab of the site.
fn key_store() -> KeyStore {
    load_settings().unwrap_or_default().key_store
}

pub fn load_operation() -> Option<Operation> {
    match key_store() {
        KeyStore::Memory => None,
        KeyStore::Session => SessionStorage::get(OPERATION_KEY).ok(),
        KeyStore::Local => LocalStorage::get(OPERATION_KEY).ok(),
    }
}

/// Keeps the operation in the chosen store, and only there: a copy in the other storage is
/// removed, and with `Memory` none is left anywhere. Switching the store moves nothing by
/// itself: the operation reaches the new store at its next save (its next attempt or answer),
/// so a reload right after a switch finds nothing there.
pub fn save_operation(operation: Option<&Operation>) {
    let store = key_store();
    if store != KeyStore::Session {
        SessionStorage::delete(OPERATION_KEY);
    }
    if store != KeyStore::Local {
        LocalStorage::delete(OPERATION_KEY);
    }
    match store {
        KeyStore::Memory => {}
        KeyStore::Session => keep_in::<SessionStorage>(operation),
        KeyStore::Local => keep_in::<LocalStorage>(operation),
    }
}

fn keep_in<S: Storage>(operation: Option<&Operation>) {
    match operation {
        Some(operation) => {
            if let Err(error) = S::set(OPERATION_KEY, operation) {
                leptos::logging::warn!("could not keep the operation: {error}");
            }
        }
        None => S::delete(OPERATION_KEY),
    }
}

pub fn load_settings() -> Option<Settings> {
    LocalStorage::get(SETTINGS_KEY).ok()
}

pub fn save_settings(settings: &Settings) {
    let _ = LocalStorage::set(SETTINGS_KEY, settings);
}

/// The learner's user id: made up once, so their orders can be told from other tabs'.
pub fn learner_id() -> String {
    if let Ok(id) = LocalStorage::get::<String>(USER_KEY) {
        return id;
    }
    let id = format!(
        "learner-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    );
    let _ = LocalStorage::set(USER_KEY, &id);
    id
}

pub fn save_learner_id(id: &str) {
    let _ = LocalStorage::set(USER_KEY, id);
}

/// A UUID v4 from `crypto.getRandomValues` (the `uuid` crate's `js` feature). That API works
/// in any context, unlike `crypto.randomUUID()`, which needs HTTPS or localhost.
pub fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Local wall-clock time with milliseconds, for the timeline.
pub fn clock() -> String {
    let now = js_sys::Date::new_0();
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        now.get_hours(),
        now.get_minutes(),
        now.get_seconds(),
        now.get_milliseconds()
    )
}

pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

pub fn set_lang_cookie(lang: Lang) {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(html) = document.dyn_into::<web_sys::HtmlDocument>() {
        let cookie = format!(
            "{LANG_COOKIE}={}; path=/; max-age=31536000; samesite=lax",
            lang.code()
        );
        let _ = html.set_cookie(&cookie);
    }
}

/// What came back from one request.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// Every response header, lower-case names, as the browser exposes them.
    pub headers: Vec<(String, String)>,
    pub replayed: bool,
    /// The lab's note on a request that outlived its lease (`X-Lab-Lease`).
    pub lease: Option<super::LeaseNote>,
    pub retry_after: Option<u32>,
    pub body: String,
}

impl Answer {
    /// The server's problem details, when the body is one.
    pub fn problem(&self) -> Option<crate::api::Problem> {
        serde_json::from_str(&self.body).ok()
    }
}

/// Sends one request; gives up (aborting it) after `timeout_ms`. `Err` is a network failure:
/// no answer reached the page, whatever the server did.
pub async fn send(
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<String>,
    timeout_ms: u32,
) -> Result<Answer, String> {
    use gloo_net::http::{Method, RequestBuilder};
    let controller =
        web_sys::AbortController::new().map_err(|_| "no AbortController".to_string())?;
    let signal = controller.signal();
    let _timer = gloo_timers::callback::Timeout::new(timeout_ms, move || controller.abort());
    let method = if method == "GET" {
        Method::GET
    } else {
        Method::POST
    };
    let mut builder = RequestBuilder::new(path)
        .method(method)
        .abort_signal(Some(&signal));
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let request = match body {
        Some(body) => builder.body(body),
        None => builder.build(),
    }
    .map_err(|e| e.to_string())?;
    let response = request.send().await.map_err(|e| e.to_string())?;
    let headers = response.headers();
    let answer = Answer {
        status: response.status(),
        headers: headers.entries().collect(),
        replayed: headers.get(IDEMPOTENT_REPLAYED).as_deref() == Some("true"),
        lease: headers
            .get(LAB_LEASE)
            .and_then(|v| super::LeaseNote::from_header(&v)),
        retry_after: headers.get(RETRY_AFTER).and_then(|v| v.trim().parse().ok()),
        body: response.text().await.map_err(|e| e.to_string())?,
    };
    Ok(answer)
}

/// `POST`s `body` as JSON: the answer, or `Err` for a network failure.
pub async fn post_json<T: serde::Serialize>(path: &str, body: &T) -> Result<Answer, String> {
    let json = serde_json::to_string(body).map_err(|e| e.to_string())?;
    let headers = [(CONTENT_TYPE, JSON_CONTENT_TYPE.to_string())];
    send("POST", path, &headers, Some(json), 10_000).await
}

/// `POST /lab/reset` for this learner only: other learners on the server keep theirs.
pub async fn reset_learner() -> Result<Answer, String> {
    let learner = crate::api::ResetRequest {
        user_id: learner_id(),
    };
    post_json("/lab/reset", &learner).await
}

pub async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let answer = send("GET", path, &[], None, 10_000).await?;
    if answer.status != 200 {
        return Err(format!("HTTP {}", answer.status));
    }
    serde_json::from_str(&answer.body).map_err(|e| e.to_string())
}

/// Bodies of finished operations by key, so a 422 can show what the key was first used for.
const BODIES_KEY: &str = "idem-lab.bodies";
const MAX_REMEMBERED: usize = 50;

pub fn remember_body(key: &str, body: &crate::api::CreateOrderRequest) {
    let mut bodies: Vec<(String, crate::api::CreateOrderRequest)> =
        SessionStorage::get(BODIES_KEY).unwrap_or_default();
    if bodies.iter().any(|(k, _)| k == key) {
        return;
    }
    bodies.push((key.to_owned(), body.clone()));
    if bodies.len() > MAX_REMEMBERED {
        bodies.remove(0);
    }
    let _ = SessionStorage::set(BODIES_KEY, &bodies);
}

pub fn first_body(key: &str) -> Option<crate::api::CreateOrderRequest> {
    let bodies: Vec<(String, crate::api::CreateOrderRequest)> =
        SessionStorage::get(BODIES_KEY).unwrap_or_default();
    bodies
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, body)| body)
}

/// `?name=value` from the page's address.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

/// The scenario whose link this tab has applied: a reload keeps the address, but must not
/// apply the link again over what the learner changed since.
const APPLIED_SCENARIO_KEY: &str = "idem-lab.applied-scenario";

pub fn scenario_applied(name: &str) -> bool {
    SessionStorage::get::<String>(APPLIED_SCENARIO_KEY).is_ok_and(|applied| applied == name)
}

pub fn remember_scenario(name: &str) {
    let _ = SessionStorage::set(APPLIED_SCENARIO_KEY, name);
}

/// The browser's own yes/no question; `true` where none can be asked.
pub fn confirm(question: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(true)
}

/// Loads this page again, as the browser's reload button does.
pub fn reload_tab() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// Opens this page as a new visit, with `noopener`: the new tab starts with an empty
/// sessionStorage. Without the scenario link, which would set the switches again there.
pub fn open_second_tab() {
    open_this_page(false);
}

/// Opens this page from this tab (no `noopener`): Chromium copies this tab's sessionStorage
/// into the new one, as its own "Duplicate tab" does.
pub fn duplicate_tab() {
    open_this_page(true);
}

fn open_this_page(duplicate: bool) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let (url, features) = if duplicate {
        (location.href(), "")
    } else {
        (location.pathname(), "noopener")
    };
    if let Ok(url) = url {
        let _ = window.open_with_url_and_target_and_features(&url, "_blank", features);
    }
}

/// Puts a scenario in the address bar, so the page can be shared or reloaded as it is.
pub fn set_query(query: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(query));
    }
}

/// (`window.isSecureContext`, whether `crypto.randomUUID` exists here).
pub fn secure_context_facts() -> Option<(bool, bool)> {
    let window = web_sys::window()?;
    let crypto = js_sys::Reflect::get(&window, &"crypto".into()).ok()?;
    let has_random_uuid = js_sys::Reflect::has(&crypto, &"randomUUID".into()).unwrap_or(false);
    Some((window.is_secure_context(), has_random_uuid))
}

/// The quiz's live check: one fresh key, two different bodies, sent as this learner.
pub async fn demonstrate_mismatch(lang: Lang) -> String {
    use crate::api::{CreateOrderRequest, OrderItem, Problem};
    let key = new_key();
    let learner = learner_id();
    let body = |qty| CreateOrderRequest {
        user_id: learner.clone(),
        items: vec![OrderItem {
            sku: "QUIZ-1".into(),
            qty,
        }],
    };
    let mut statuses = Vec::new();
    for qty in [1, 2] {
        let headers = [
            (CONTENT_TYPE, JSON_CONTENT_TYPE.to_string()),
            (IDEMPOTENCY_KEY, key.clone()),
        ];
        let json = serde_json::to_string(&body(qty)).unwrap_or_default();
        match send("POST", "/orders", &headers, Some(json), 10_000).await {
            Ok(answer) => {
                let title = serde_json::from_str::<Problem>(&answer.body)
                    .map(|p| p.title)
                    .unwrap_or_default();
                statuses.push(format!("{} {title}", answer.status).trim().to_owned());
            }
            Err(error) => statuses.push(format!("{} ({error})", lang.texts().status.network_error)),
        }
    }
    format!(
        "{} → {}",
        crate::i18n::fill(lang.panel_texts().quiz.live_result, &statuses[0]),
        statuses[1]
    )
}

/// This page's origin, e.g. `http://localhost:3000`.
pub fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// The request as it would appear on the wire.
pub fn raw_request(
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<&str>,
) -> String {
    let host = origin().split("://").nth(1).unwrap_or_default().to_owned();
    let mut text = format!("{method} {path} HTTP/1.1\nHost: {host}\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    text.push('\n');
    text.push_str(body.unwrap_or_default());
    text
}

pub fn raw_response(answer: &Answer) -> String {
    let mut text = format!("HTTP/1.1 {}\n", answer.status);
    for (name, value) in &answer.headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    text.push('\n');
    text.push_str(&answer.body);
    text
}

/// A curl command that sends the same request again (same key, same body).
pub fn curl(method: &str, path: &str, headers: &[(&str, String)], body: Option<&str>) -> String {
    let quote = |text: &str| format!("'{}'", text.replace('\'', "'\\''"));
    let mut command = format!(
        "curl -i -X {method} {}",
        quote(&format!("{}{path}", origin()))
    );
    for (name, value) in headers {
        command.push_str(&format!(" -H {}", quote(&format!("{name}: {value}"))));
    }
    if let Some(body) = body {
        command.push_str(&format!(" --data {}", quote(body)));
    }
    command
}

/// Copies to the clipboard where the browser offers one (secure contexts only).
pub fn copy_to_clipboard(text: &str) {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return;
    };
    let has_clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())
        .is_ok_and(|clipboard| !clipboard.is_undefined());
    if has_clipboard {
        let _ = navigator.clipboard().write_text(text);
    }
}
