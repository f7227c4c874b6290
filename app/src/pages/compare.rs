//! Client-generated or server-issued keys: the two designs side by side, and a guide that
//! recommends one.

use leptos::prelude::*;

use super::widgets::scroll_region;
use crate::i18n::{use_lang, PanelText};

#[component]
pub fn Comparison() -> impl IntoView {
    let lang = use_lang();
    move || {
        let t = lang.get().panel_texts();
        let c = &t.compare;
        let rows = [
            (c.benefits, c.client_benefits, c.server_benefits),
            (c.costs, c.client_costs, c.server_costs),
            (c.pitfalls, c.client_pitfalls, c.server_pitfalls),
            (c.fits, c.client_fits, c.server_fits),
        ];
        view! {
            <h2 id="compare-heading">{c.heading}</h2>
            {scroll_region(|t| t.compare.heading, view! {
                <table class="compare">
                    <caption class="sr-only">{c.heading}</caption>
                    <thead>
                        <tr><td></td><th scope="col">{t.mode.client}</th><th scope="col">{t.mode.server}</th></tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|(aspect, client, server)| view! {
                            <tr><th scope="row">{aspect}</th><td>{client}</td><td>{server}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        }
    }
}

/// Which way the guide leans: each ticked box counts for one design.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Client,
    Server,
    /// Nothing ticked: the usual starting point applies.
    Either,
}

/// The guide's boxes: (label, favours server-issued keys).
const GUIDE_QUESTIONS: [(PanelText, bool); 4] = [
    (|t| t.guide.flaky, false),
    (|t| t.guide.many, true),
    (|t| t.guide.ttl, true),
    (|t| t.guide.small, false),
];

pub fn guide_verdict(marks: [bool; 4]) -> Verdict {
    let count = |server: bool| {
        (0..4)
            .filter(|&i| marks[i] && GUIDE_QUESTIONS[i].1 == server)
            .count()
    };
    match (count(false), count(true)) {
        (0, 0) => Verdict::Either,
        (client, server) if server > client => Verdict::Server,
        _ => Verdict::Client,
    }
}

/// The decision guide; the lesson's step 4 passes its own boxes in so its run can tick them.
#[component]
pub fn DecisionGuide(#[prop(optional)] ticked: Option<RwSignal<[bool; 4]>>) -> impl IntoView {
    let lang = use_lang();
    let questions = GUIDE_QUESTIONS;
    let ticked = ticked.unwrap_or_else(|| RwSignal::new([false; 4]));
    let verdict = move || {
        let t = lang.get().panel_texts();
        match guide_verdict(ticked.get()) {
            Verdict::Either => t.guide.default,
            Verdict::Server => t.guide.server,
            Verdict::Client => t.guide.client,
        }
    };
    view! {
        <fieldset class="guide">
            <legend>{move || lang.get().panel_texts().guide.heading}</legend>
            {questions.iter().enumerate().map(|(i, (label, _))| {
                let label = *label;
                view! {
                    <label class="check">
                        <input
                            type="checkbox"
                            data-testid=format!("guide-{i}")
                            prop:checked=move || ticked.get()[i]
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                ticked.update(|marks| marks[i] = on);
                            }
                        />
                        <span>{move || label(lang.get().panel_texts())}</span>
                    </label>
                }
            }).collect_view()}
            <p class="verdict" aria-live="polite" data-testid="guide-verdict">{verdict}</p>
        </fieldset>
    }
}
