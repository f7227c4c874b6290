//! Step 3's "try next", done here: an expired and an altered issued key, both refused.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::runs;
use crate::i18n::lesson::{self, IssuedTexts};
use crate::i18n::{fill, use_lang};

/// Step 3's "try next", done here: an expired and an altered issued key, both refused.
#[component]
pub fn RefusedIssuedKeys(live: ReadSignal<bool>) -> impl IntoView {
    let lang = use_lang();
    let t = move || &lesson::texts(lang.get()).issued;
    let button = move |bad: runs::BadIssuedKey,
                       id: &'static str,
                       label: fn(&IssuedTexts) -> &'static str| {
        let answer = RwSignal::new(None::<String>);
        let send = move |_| {
            spawn_local(async move {
                let shown = match runs::order_with(bad).await {
                    Ok((status, title)) => fill(&fill(t().result, status), title),
                    Err(error) => fill(lesson::texts(lang.get_untracked()).failed, error),
                };
                answer.set(Some(shown));
            })
        };
        view! {
            <li>
                <button type="button" data-testid=id disabled=move || !live.get() on:click=send>
                    {move || label(t())}
                </button>
                " "
                <output data-testid=format!("{id}-result")>{move || answer.get()}</output>
            </li>
        }
    };
    view! {
        <fieldset class="issued-keys">
            <legend>{move || t().heading}</legend>
            <ul>
                {button(runs::BadIssuedKey::Expired, "issued-expired", |t| t.expired)}
                {button(runs::BadIssuedKey::Altered, "issued-altered", |t| t.altered)}
            </ul>
        </fieldset>
    }
}
