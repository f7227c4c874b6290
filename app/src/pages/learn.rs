//! The teaching panels around the sandbox: scenarios, the refused request side by side, the
//! comparison of the two designs, the decision guide, the secure-context accident and the quiz.

use leptos::prelude::*;

use crate::api::CreateOrderRequest;
use crate::i18n::{fill, PanelText};
use crate::lab::{client, driver, summarize, use_lab, KeyMode, LabState, Phase, Settings};

/// A named set of switches; `?scenario=<name>` opens the lab with it.
pub struct Scenario {
    pub name: &'static str,
    title: PanelText,
    hint: PanelText,
    apply: fn(&mut Settings),
}

pub const SCENARIOS: [Scenario; 6] = [
    Scenario {
        name: "click-storm",
        title: |t| t.scenarios.storm,
        hint: |t| t.scenarios.storm_hint,
        apply: |s| s.delay_ms = 2000,
    },
    Scenario {
        name: "reload",
        title: |t| t.scenarios.reload,
        hint: |t| t.scenarios.reload_hint,
        apply: |s| s.delay_ms = 5000,
    },
    Scenario {
        name: "lost-response",
        title: |t| t.scenarios.lost,
        hint: |t| t.scenarios.lost_hint,
        apply: |s| {
            s.delay_ms = 1500;
            s.lose_first_response = true;
        },
    },
    Scenario {
        name: "new-key-every-retry",
        title: |t| t.scenarios.new_key,
        hint: |t| t.scenarios.new_key_hint,
        apply: |s| {
            s.delay_ms = 1500;
            s.lose_first_response = true;
            s.new_key_every_retry = true;
        },
    },
    Scenario {
        name: "reused-key",
        title: |t| t.scenarios.reuse,
        hint: |t| t.scenarios.reuse_hint,
        apply: |s| s.reuse_user_key = true,
    },
    Scenario {
        name: "prepare-fails",
        title: |t| t.scenarios.prepare,
        hint: |t| t.scenarios.prepare_hint,
        apply: |s| {
            s.mode = KeyMode::Server;
            s.fail_next_prepare = true;
        },
    },
];

/// Resets the switches to a scenario's (keeping the learner's view preferences).
pub fn apply_scenario(state: LabState, name: &str) -> bool {
    let Some(scenario) = SCENARIOS.iter().find(|s| s.name == name) else {
        return false;
    };
    state.settings.update(|settings| {
        let only_mine = settings.only_mine;
        *settings = Settings {
            only_mine,
            ..Settings::default()
        };
        (scenario.apply)(settings);
    });
    true
}

#[component]
pub fn Scenarios() -> impl IntoView {
    let state = use_lab();
    let texts = move || state.panel_texts();
    let chosen = RwSignal::new(None::<&'static str>);
    // A deep link (`?scenario=…`) was applied on load; show which one.
    Effect::new(move |_| {
        let linked = client::query_param("scenario");
        chosen.set(
            SCENARIOS
                .iter()
                .map(|s| s.name)
                .find(|name| Some(*name) == linked.as_deref()),
        );
    });
    view! {
        <fieldset class="scenarios">
            <legend>{move || texts().scenarios.heading}</legend>
            <div class="scenario-buttons">
                {SCENARIOS.iter().map(|scenario| {
                    let name = scenario.name;
                    view! {
                        <a
                            class="scenario"
                            href=format!("?scenario={name}")
                            data-testid=format!("scenario-{name}")
                            aria-current=move || (chosen.get() == Some(name)).then_some("true")
                            on:click=move |ev| {
                                ev.prevent_default();
                                // A scenario starts afresh: a pending order is abandoned, so ask.
                                let pending = state.operation.with_untracked(|op| {
                                    op.as_ref().is_some_and(|op| op.phase == Phase::Pending)
                                });
                                if pending && !client::confirm(texts().scenarios.confirm) {
                                    return;
                                }
                                if apply_scenario(state, name) {
                                    chosen.set(Some(name));
                                    driver::abandon(state);
                                    client::set_query(&format!("?scenario={name}"));
                                    client::remember_scenario(name);
                                }
                            }
                        >{move || (scenario.title)(texts())}</a>
                    }
                }).collect_view()}
            </div>
            {move || chosen.get().and_then(|name| SCENARIOS.iter().find(|s| s.name == name)).map(|scenario| {
                view! { <p class="hint" data-testid="scenario-hint">{(scenario.hint)(texts())}</p> }
            })}
        </fieldset>
    }
}

/// On a 422: the body the key was first used for, beside the one just refused.
#[component]
pub fn MismatchView() -> impl IntoView {
    let state = use_lab();
    let conflict = move || {
        state
            .operation
            .get()
            .and_then(|op| op.conflict.clone().map(|first| (first, op.body)))
    };
    move || {
        conflict().map(|(first, now): (CreateOrderRequest, CreateOrderRequest)| {
            let texts = state.panel_texts();
            view! {
                <div class="mismatch" data-testid="mismatch">
                    <h3>{texts.mismatch.title}</h3>
                    <div class="side-by-side">
                        <figure>
                            <figcaption>{texts.mismatch.first}</figcaption>
                            <pre data-testid="mismatch-first">{pretty(&first)}</pre>
                        </figure>
                        <figure>
                            <figcaption>{texts.mismatch.now}</figcaption>
                            <pre data-testid="mismatch-now">{pretty(&now)}</pre>
                        </figure>
                    </div>
                    <p>{texts.mismatch.why}</p>
                </div>
            }
        })
    }
}

fn pretty(body: &CreateOrderRequest) -> String {
    serde_json::to_string_pretty(body).unwrap_or_else(|_| summarize(body))
}

#[component]
pub fn Comparison() -> impl IntoView {
    let state = use_lab();
    move || {
        let t = state.panel_texts();
        let c = &t.compare;
        let rows = [
            (c.benefits, c.client_benefits, c.server_benefits),
            (c.costs, c.client_costs, c.server_costs),
            (c.pitfalls, c.client_pitfalls, c.server_pitfalls),
            (c.fits, c.client_fits, c.server_fits),
        ];
        view! {
            <h2 id="compare-heading">{c.heading}</h2>
            {super::scroll_region(|t| t.compare.heading, view! {
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
    let state = use_lab();
    let questions = GUIDE_QUESTIONS;
    let ticked = ticked.unwrap_or_else(|| RwSignal::new([false; 4]));
    let verdict = move || {
        let t = state.panel_texts();
        match guide_verdict(ticked.get()) {
            Verdict::Either => t.guide.default,
            Verdict::Server => t.guide.server,
            Verdict::Client => t.guide.client,
        }
    };
    view! {
        <fieldset class="guide">
            <legend>{move || state.panel_texts().guide.heading}</legend>
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
                        <span>{move || label(state.panel_texts())}</span>
                    </label>
                }
            }).collect_view()}
            <p class="verdict" aria-live="polite" data-testid="guide-verdict">{verdict}</p>
        </fieldset>
    }
}

#[component]
pub fn SecureContext() -> impl IntoView {
    let state = use_lab();
    // Read in the browser once it is live; the server cannot know.
    let facts = RwSignal::new(None::<(bool, bool)>);
    Effect::new(move |_| facts.set(client::secure_context_facts()));
    view! {
        <h2>{move || state.panel_texts().secure.heading}</h2>
        {move || facts.get().map(|(secure, has_random_uuid)| {
            let t = state.panel_texts();
            view! {
                <ul class="facts" data-testid="secure-context">
                    <li><code>{fill(t.secure.now, secure)}</code></li>
                    <li><code>{fill(t.secure.uuid, has_random_uuid)}</code></li>
                </ul>
            }
        })}
        <p>{move || state.panel_texts().secure.why}</p>
        <p>{move || state.panel_texts().secure.fix}</p>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Answer {
    Client,
    Server,
}

#[component]
pub fn Quiz() -> impl IntoView {
    let state = use_lab();
    let texts = move || state.panel_texts();
    let cases: [(PanelText, PanelText, Answer); 3] = [
        (|t| t.quiz.case_pay, |t| t.quiz.why_pay, Answer::Client),
        (
            |t| t.quiz.case_partner,
            |t| t.quiz.why_partner,
            Answer::Server,
        ),
        (|t| t.quiz.case_admin, |t| t.quiz.why_admin, Answer::Client),
    ];
    let picks = RwSignal::new([None::<Answer>; 3]);
    let q2 = RwSignal::new(None::<usize>);
    let live = RwSignal::new(None::<String>);
    let check_live = move |_| {
        live.set(Some("…".into()));
        leptos::task::spawn_local(async move {
            live.set(Some(
                client::demonstrate_mismatch(state.lang.get_untracked()).await,
            ));
            state.tables_changed();
        });
    };
    let options: [(PanelText, bool); 4] = [
        (|t| t.quiz.opt_second, false),
        (|t| t.quiz.opt_replay, false),
        (|t| t.quiz.opt_422, true),
        (|t| t.quiz.opt_overwrite, false),
    ];
    view! {
        <h2 id="quiz-heading">{move || texts().quiz.heading}</h2>
        <fieldset class="quiz" data-testid="quiz-1">
            <legend>{move || texts().quiz.q1}</legend>
            {cases.iter().enumerate().map(|(i, (case, why, right))| {
                let (case, why, right) = (*case, *why, *right);
                let choose = move |answer| picks.update(|p| p[i] = Some(answer));
                view! {
                    <div class="quiz-case">
                        <p>{move || case(texts())}</p>
                        <div class="quiz-choices">
                            <button type="button" data-testid=format!("q1-{i}-client")
                                aria-pressed=move || (picks.get()[i] == Some(Answer::Client)).to_string()
                                on:click=move |_| choose(Answer::Client)>{move || texts().quiz.client}</button>
                            <button type="button" data-testid=format!("q1-{i}-server")
                                aria-pressed=move || (picks.get()[i] == Some(Answer::Server)).to_string()
                                on:click=move |_| choose(Answer::Server)>{move || texts().quiz.server}</button>
                        </div>
                        {move || picks.get()[i].map(|pick| {
                            let t = texts();
                            let correct = pick == right;
                            view! {
                                <p class=if correct { "feedback right" } else { "feedback wrong" } data-testid=format!("q1-{i}-feedback")>
                                    {if correct { t.quiz.right } else { t.quiz.wrong }}" "{why(t)}
                                </p>
                            }
                        })}
                    </div>
                }
            }).collect_view()}
        </fieldset>
        <fieldset class="quiz" data-testid="quiz-2">
            <legend>{move || texts().quiz.q2}</legend>
            <div class="quiz-choices">
                {options.iter().enumerate().map(|(i, (label, _))| {
                    let label = *label;
                    view! {
                        <button type="button" data-testid=format!("q2-{i}")
                            aria-pressed=move || (q2.get() == Some(i)).to_string()
                            on:click=move |_| q2.set(Some(i))>{move || label(texts())}</button>
                    }
                }).collect_view()}
            </div>
            {move || q2.get().map(|i| {
                let t = texts();
                let correct = options[i].1;
                view! {
                    <p class=if correct { "feedback right" } else { "feedback wrong" } data-testid="q2-feedback">
                        {if correct { t.quiz.right } else { t.quiz.wrong }}" "{t.quiz.why_422}
                    </p>
                }
            })}
            <button type="button" data-testid="q2-live" disabled=move || !state.hydrated.get() on:click=check_live>
                {move || texts().quiz.check_live}
            </button>
            {move || live.get().map(|result| view! { <p class="live-result" data-testid="q2-live-result">{result}</p> })}
        </fieldset>
    }
}
