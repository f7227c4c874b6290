//! This tab, other tabs of the lab, and the address bar.

/// This page's origin, e.g. `http://localhost:3000`.
pub fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// `?name=value` from the page's address.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

/// Puts a scenario in the address bar, so the page can be shared or reloaded as it is.
pub fn set_query(query: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(query));
    }
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

/// The browser's own yes/no question; `true` where none can be asked.
pub fn confirm(question: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(true)
}
