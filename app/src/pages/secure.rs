//! Accident 3: `crypto.randomUUID()` exists only in secure contexts; what this page has.

use leptos::prelude::*;

use crate::browser::document::secure_context_facts;
use crate::i18n::{fill, use_lang};

#[component]
pub fn SecureContext() -> impl IntoView {
    let lang = use_lang();
    // Read in the browser once it is live; the server cannot know.
    let facts = RwSignal::new(None::<(bool, bool)>);
    Effect::new(move |_| facts.set(secure_context_facts()));
    view! {
        <h2>{move || lang.get().panel_texts().secure.heading}</h2>
        {move || facts.get().map(|(secure, has_random_uuid)| {
            let t = lang.get().panel_texts();
            view! {
                <ul class="facts" data-testid="secure-context">
                    <li><code>{fill(t.secure.now, secure)}</code></li>
                    <li><code>{fill(t.secure.uuid, has_random_uuid)}</code></li>
                </ul>
            }
        })}
        <p>{move || lang.get().panel_texts().secure.why}</p>
        <p>{move || lang.get().panel_texts().secure.fix}</p>
    }
}
