use leptos::prelude::*;

/// Marks the document once the WASM is live, so the UI (and tests) can tell a
/// server-rendered page from a working one.
fn mark_hydrated() {
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}

#[component]
pub fn Lab() -> impl IntoView {
    mark_hydrated();
    view! {
        <main class="lab">
            <h1>"Idempotency keys lab"</h1>
            <p>"Place an order, press the button again and again, reload mid-request: the server keeps exactly one order per Idempotency-Key."</p>
        </main>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <main class="lab">
            <h1>"Page not found"</h1>
            <p><a href="/">"Back to the lab"</a></p>
        </main>
    }
}
