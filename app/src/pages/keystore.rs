//! The key-store experiment: where the page keeps its pending operation, and what a reload,
//! a second tab or a duplicated tab then does with it.

use leptos::prelude::*;

use super::widgets::scroll_region;

use crate::browser::tabs;
use crate::i18n::{use_lang, KeyStoreTexts};
use crate::lab::preferences::Preferences;
use crate::lab::settings::KeyStore;

/// Picks one text out of this panel's group.
type Words = fn(&KeyStoreTexts) -> &'static str;
/// What one of a reload, a second tab and a duplicated tab does, and how that ends.
type Case = (Words, &'static str);

/// The stores, as radio choices and as the table's rows: the store, its radio's test id, name
/// and note; then what a reload, a second tab and a duplicated tab do with its pending order,
/// and how that ends (`ok` one order, `wait` one order but in the wrong tab, `bad` a second
/// order can result).
#[rustfmt::skip]
const STORES: [(KeyStore, &str, Words, Words, [Case; 3]); 3] = [
    (KeyStore::Memory,  "key-store-memory",  |k| k.memory,  |k| k.memory_note,
        [(|k| k.memory_reload, "bad"), (|k| k.memory_second, "ok"), (|k| k.memory_duplicate, "bad")]),
    (KeyStore::Session, "key-store-session", |k| k.session, |k| k.session_note,
        [(|k| k.session_reload, "ok"), (|k| k.session_second, "ok"), (|k| k.session_duplicate, "ok")]),
    (KeyStore::Local,   "key-store-local",   |k| k.local,   |k| k.local_note,
        [(|k| k.local_reload, "ok"), (|k| k.local_second, "wait"), (|k| k.local_duplicate, "ok")]),
];

#[component]
pub fn KeyStoreExperiment(prefs: Preferences, live: ReadSignal<bool>) -> impl IntoView {
    let lang = use_lang();
    let asleep = move || !live.get();
    let chosen = move || prefs.with(|s| s.key_store);
    let button = move |id: &'static str, label: &'static str, act: fn()| {
        view! {
            <button type="button" data-testid=id disabled=asleep on:click=move |_| act()>{label}</button>
        }
    };
    // Static text, drawn again only when the language changes.
    move || {
        let texts = lang.get().panel_texts();
        let k = &texts.keystore;
        view! {
            <fieldset class="key-store">
                <legend>{k.heading}</legend>
                <p class="hint">{k.intro}</p>
                {STORES.iter().map(|&(store, id, name, note, _)| view! {
                        <label class="choice">
                            <input
                                type="radio"
                                name="key-store"
                                data-testid=id
                                prop:checked=move || chosen() == store
                                disabled=asleep
                                on:change=move |_| prefs.update(|s| s.key_store = store)
                            />
                            <span><strong>{name(k)}</strong><small>{note(k)}</small></span>
                        </label>
                }).collect_view()}
                <small>{k.switch_note}</small>
                <div class="actions">
                    {button("key-store-reload", k.reload, tabs::reload_tab)}
                    {button("key-store-second-tab", k.second_tab, tabs::open_second_tab)}
                    {button("key-store-duplicate-tab", k.duplicate_tab, tabs::duplicate_tab)}
                </div>
                <small>{k.tabs_note}</small>
                {scroll_region(|t| t.keystore.caption, view! {
                    <table class="key-store-cases">
                        <caption>{k.caption}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{k.col_store}</th>
                                <th scope="col">{k.col_reload}</th>
                                <th scope="col">{k.col_second}</th>
                                <th scope="col">{k.col_duplicate}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {STORES.iter().map(|(_, _, name, _, cases)| view! {
                                <tr>
                                    <th scope="row">{name(k)}</th>
                                    {cases.iter().map(|&(case, end)| view! { <td class=end>{case(k)}</td> }).collect_view()}
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
                <p class="why">{k.why}</p>
            </fieldset>
        }
    }
}
