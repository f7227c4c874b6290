//! The document around the app: its root's attributes, the language cookie, the focus, the
//! clipboard, and what the browser says about this context.

use wasm_bindgen::JsCast;

use crate::i18n::{Lang, LANG_COOKIE};

fn root() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}

/// Marks the page as interactive (`<html data-hydrated="true">`): tests and scripts wait for it.
pub fn mark_hydrated() {
    if let Some(root) = root() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}

/// `<html lang>`: screen readers and fonts follow it.
pub fn set_lang_attribute(lang: Lang) {
    if let Some(root) = root() {
        let _ = root.set_attribute("lang", lang.code());
    }
}

/// The language the server rendered this page in, from `<html lang>`.
pub fn rendered_lang() -> Option<Lang> {
    Lang::from_code(&root()?.get_attribute("lang")?)
}

/// Remembers the language, so the server renders the next page in it from the first byte.
pub fn set_lang_cookie(lang: Lang) {
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

/// Puts the keyboard's focus on the element with this id.
pub fn focus_by_id(id: &str) {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        let _ = element.focus();
    }
}

/// (`window.isSecureContext`, whether `crypto.randomUUID` exists here).
pub fn secure_context_facts() -> Option<(bool, bool)> {
    let window = web_sys::window()?;
    let crypto = js_sys::Reflect::get(&window, &"crypto".into()).ok()?;
    let has_random_uuid = js_sys::Reflect::has(&crypto, &"randomUUID".into()).unwrap_or(false);
    Some((window.is_secure_context(), has_random_uuid))
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
