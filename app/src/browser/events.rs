//! The server's announcements (`GET /events`, Server-Sent Events) that a learner's orders or
//! idempotency records changed, so the tables fetch them at once instead of polling.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::api::{TablesChanged, EVENTS_PATH, TABLES_CHANGED_EVENT};

/// Listens for as long as the page lives (a move to another page is a full load). The browser
/// reconnects a dropped stream by itself; `on_stream` hears `true` whenever the stream is open
/// and `false` whenever it dropped, so the caller can poll meanwhile.
pub fn listen(on_change: impl Fn(TablesChanged) + 'static, on_stream: impl Fn(bool) + 'static) {
    let Ok(source) = web_sys::EventSource::new(EVENTS_PATH) else {
        on_stream(false);
        return;
    };
    let on_stream = std::rc::Rc::new(on_stream);
    let opened = {
        let on_stream = on_stream.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_| on_stream(true))
    };
    let dropped = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| on_stream(false));
    let changed =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let data = event.data().as_string().unwrap_or_default();
            // An announcement the page cannot read still means "something changed".
            on_change(serde_json::from_str(&data).unwrap_or_default());
        });
    source.set_onopen(Some(opened.as_ref().unchecked_ref()));
    source.set_onerror(Some(dropped.as_ref().unchecked_ref()));
    let _ = source
        .add_event_listener_with_callback(TABLES_CHANGED_EVENT, changed.as_ref().unchecked_ref());
    // The handlers belong to the source, which lives as long as the page.
    opened.forget();
    dropped.forget();
    changed.forget();
    std::mem::forget(source);
}
