//! What the page keeps in the browser: the pending operation (in the store the learner chose),
//! the learner's switches and name, the bodies each key was first used for, and which
//! scenario link this tab has applied.

use gloo_storage::{LocalStorage, SessionStorage, Storage};

use crate::api::CreateOrderRequest;
use crate::lab::operation::Operation;
use crate::lab::settings::{KeyStore, Settings};

/// The pending operation, in the store the learner chose (`KeyStore`). By default
/// sessionStorage: survives a reload of this tab, not a new tab — one pending operation per tab.
const OPERATION_KEY: &str = "idem-lab.operation";
/// localStorage: the learner's switches and name, across visits.
const SETTINGS_KEY: &str = "idem-lab.settings";
const USER_KEY: &str = "idem-lab.user";
/// sessionStorage: bodies of finished operations by key, so a 422 can show what the key was
/// first used for.
const BODIES_KEY: &str = "idem-lab.bodies";
const MAX_REMEMBERED: usize = 50;
/// sessionStorage: the scenario whose link this tab has applied. A reload keeps the address,
/// but must not apply the link again over what the learner changed since.
const APPLIED_SCENARIO_KEY: &str = "idem-lab.applied-scenario";

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

pub fn remember_body(key: &str, body: &CreateOrderRequest) {
    let mut bodies: Vec<(String, CreateOrderRequest)> =
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

pub fn first_body(key: &str) -> Option<CreateOrderRequest> {
    let bodies: Vec<(String, CreateOrderRequest)> =
        SessionStorage::get(BODIES_KEY).unwrap_or_default();
    bodies
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, body)| body)
}

pub fn scenario_applied(name: &str) -> bool {
    SessionStorage::get::<String>(APPLIED_SCENARIO_KEY).is_ok_and(|applied| applied == name)
}

pub fn remember_scenario(name: &str) {
    let _ = SessionStorage::set(APPLIED_SCENARIO_KEY, name);
}
