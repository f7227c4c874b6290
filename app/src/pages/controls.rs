//! The switches: who makes the key, and the lab's knobs.

use leptos::prelude::*;

use crate::api::ResetRequest;
use crate::browser::{http, storage};
use crate::i18n::{use_lang, PanelText};
use crate::lab::order::OrderInProgress;
use crate::lab::preferences::Preferences;
use crate::lab::settings::{KeyMode as Mode, Settings};

/// Who creates the key: the two designs, with what each gains and risks.
#[component]
pub fn KeyMode(
    prefs: Preferences,
    order: OrderInProgress,
    live: ReadSignal<bool>,
) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().panel_texts();
    let mode = move || prefs.with(|s| s.mode);
    let set_mode = move |mode: Mode| prefs.update(|s| s.mode = mode);
    // A switch never changes the key of the order on screen (its retries must keep it).
    let other_than_shown = Memo::new(move |_| {
        let chosen = mode();
        order.with_operation(|op| op.is_some_and(|op| op.mode != chosen))
    });
    view! {
        <fieldset class="key-mode">
            <legend>{move || texts().mode.heading}</legend>
            <label class="choice">
                <input
                    type="radio"
                    name="key-mode"
                    data-testid="mode-client"
                    prop:checked=move || mode() == Mode::Client
                    disabled=move || !live.get()
                    on:change=move |_| set_mode(Mode::Client)
                />
                <span>
                    <strong>{move || texts().mode.client}</strong>
                    <small class="gain">{move || texts().mode.client_gain}</small>
                    <small class="risk">{move || texts().mode.client_risk}</small>
                </span>
            </label>
            <label class="choice">
                <input
                    type="radio"
                    name="key-mode"
                    data-testid="mode-server"
                    prop:checked=move || mode() == Mode::Server
                    disabled=move || !live.get()
                    on:change=move |_| set_mode(Mode::Server)
                />
                <span>
                    <strong>{move || texts().mode.server}</strong>
                    <small class="gain">{move || texts().mode.server_gain}</small>
                    <small class="risk">{move || texts().mode.server_risk}</small>
                    <small class="note">{move || texts().mode.server_note}</small>
                </span>
            </label>
            <Show when=move || other_than_shown.get()>
                <p class="hint" role="status" data-testid="mode-applies-next">{move || texts().mode.applies_next}</p>
            </Show>
        </fieldset>
    }
}

/// The server's delay, the button while pending, and a fresh start for this learner.
#[component]
pub fn LabControls(
    prefs: Preferences,
    order: OrderInProgress,
    live: ReadSignal<bool>,
) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().panel_texts();
    let settings = prefs.signal();
    let change = move |edit: fn(&mut Settings, bool), on: bool| prefs.update(|s| edit(s, on));
    let reset = move |_| {
        leptos::task::spawn_local(async move {
            // Only this learner's orders and records: other learners on the server keep theirs.
            let learner = ResetRequest {
                user_id: storage::learner_id(),
            };
            let _ = http::post_json("/lab/reset", &learner).await;
            order.abandon();
        });
    };
    view! {
        <fieldset class="controls">
            <legend>{move || texts().controls.heading}</legend>
            <label class="delay">
                <span>{move || texts().controls.delay}</span>
                <input
                    type="range"
                    min="0"
                    max="10000"
                    step="500"
                    data-testid="delay"
                    prop:value=move || settings.with(|s| s.delay_ms.to_string())
                    disabled=move || !live.get()
                    on:input=move |ev| {
                        let ms = event_target_value(&ev).parse().unwrap_or(0);
                        prefs.update(|s| s.delay_ms = ms);
                    }
                />
                <output data-testid="delay-value">{move || settings.with(|s| s.delay_ms)}</output>
            </label>
            <small>{move || texts().controls.delay_note}</small>
            <label class="check">
                <input
                    type="checkbox"
                    data-testid="disable-while-pending"
                    prop:checked=move || settings.with(|s| s.disable_while_pending)
                    disabled=move || !live.get()
                    on:change=move |ev| change(|s, on| s.disable_while_pending = on, event_target_checked(&ev))
                />
                <span>{move || texts().controls.disable_while_pending}</span>
            </label>
            <small>{move || texts().controls.disable_note}</small>
            <button
                type="button"
                class="secondary"
                data-testid="reset"
                disabled=move || !live.get()
                on:click=reset
            >{move || texts().controls.reset}</button>
        </fieldset>
    }
}

/// The accidents a learner can cause on purpose.
#[component]
pub fn Accidents(prefs: Preferences, live: ReadSignal<bool>) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().panel_texts();
    let settings = prefs.signal();
    // Accident 2 picks the key on the page; with server-issued keys the page picks none.
    let server_mode = Memo::new(move |_| settings.with(|s| s.mode) == Mode::Server);
    let switch = move |id: &'static str,
                       label: PanelText,
                       note: PanelText,
                       get: fn(&Settings) -> bool,
                       set: fn(&mut Settings, bool),
                       not_for_server: Option<PanelText>| {
        let applies = move || !(server_mode.get() && not_for_server.is_some());
        view! {
            <label class="check">
                <input
                    type="checkbox"
                    data-testid=id
                    prop:checked=move || settings.with(get) && applies()
                    disabled=move || !live.get() || !applies()
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        prefs.update(|s| set(s, on));
                    }
                />
                <span>
                    {move || label(texts())}
                    <small>{move || match not_for_server.filter(|_| !applies()) {
                        Some(why) => why(texts()),
                        None => note(texts()),
                    }}</small>
                </span>
            </label>
        }
    };
    view! {
        <fieldset class="accidents">
            <legend>{move || texts().accidents.heading}</legend>
            {switch("accident-new-key", |t| t.accidents.new_key, |t| t.accidents.new_key_note,
                |s| s.new_key_every_retry, |s, on| s.new_key_every_retry = on, None)}
            {switch("accident-reuse-key", |t| t.accidents.reuse, |t| t.accidents.reuse_note,
                |s| s.reuse_user_key, |s, on| s.reuse_user_key = on, Some(|t| t.accidents.reuse_not_server))}
            {switch("lose-response", |t| t.accidents.lose, |t| t.accidents.lose_note,
                |s| s.lose_first_response, |s, on| s.lose_first_response = on, None)}
            {switch("fail-prepare", |t| t.accidents.fail_prepare, |t| t.accidents.fail_prepare_note,
                |s| s.fail_next_prepare, |s, on| s.fail_next_prepare = on, None)}
        </fieldset>
    }
}
