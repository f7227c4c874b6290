//! The sandbox's ready-made scenarios: one click sets the switches for a lesson.

use leptos::prelude::*;

use crate::browser::{storage, tabs};
use crate::i18n::{use_lang, PanelText};
use crate::lab::order::OrderInProgress;
use crate::lab::preferences::Preferences;
use crate::lab::scenario::Scenario;

/// A scenario's name on its button, and the hint shown once it is chosen.
fn words(scenario: Scenario) -> (PanelText, PanelText) {
    match scenario {
        Scenario::ClickStorm => (|t| t.scenarios.storm, |t| t.scenarios.storm_hint),
        Scenario::Reload => (|t| t.scenarios.reload, |t| t.scenarios.reload_hint),
        Scenario::LostResponse => (|t| t.scenarios.lost, |t| t.scenarios.lost_hint),
        Scenario::NewKeyEveryRetry => (|t| t.scenarios.new_key, |t| t.scenarios.new_key_hint),
        Scenario::ReusedKey => (|t| t.scenarios.reuse, |t| t.scenarios.reuse_hint),
        Scenario::PrepareFails => (|t| t.scenarios.prepare, |t| t.scenarios.prepare_hint),
    }
}

#[component]
pub fn Scenarios(prefs: Preferences, order: OrderInProgress) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().panel_texts();
    let chosen = RwSignal::new(None::<Scenario>);
    // A deep link (`?scenario=…`) was applied on load; show which one.
    Effect::new(move |_| {
        let linked = tabs::query_param("scenario");
        chosen.set(linked.as_deref().and_then(Scenario::named));
    });
    let choose = move |scenario: Scenario| {
        // A scenario starts afresh: a pending order is abandoned, so ask.
        if order.is_pending_untracked() && !tabs::confirm(texts().scenarios.confirm) {
            return;
        }
        prefs.update(|s| *s = scenario.settings(s));
        chosen.set(Some(scenario));
        order.abandon();
        tabs::set_query(&format!("?scenario={}", scenario.name()));
        storage::remember_scenario(scenario.name());
    };
    view! {
        <fieldset class="scenarios">
            <legend>{move || texts().scenarios.heading}</legend>
            <div class="scenario-buttons">
                {Scenario::ALL.into_iter().map(|scenario| {
                    let name = scenario.name();
                    let (title, _) = words(scenario);
                    view! {
                        <a
                            class="scenario"
                            href=format!("?scenario={name}")
                            data-testid=format!("scenario-{name}")
                            aria-current=move || (chosen.get() == Some(scenario)).then_some("true")
                            on:click=move |ev| {
                                ev.prevent_default();
                                choose(scenario);
                            }
                        >{move || title(texts())}</a>
                    }
                }).collect_view()}
            </div>
            {move || chosen.get().map(|scenario| {
                let (_, hint) = words(scenario);
                view! { <p class="hint" data-testid="scenario-hint">{hint(texts())}</p> }
            })}
        </fieldset>
    }
}
