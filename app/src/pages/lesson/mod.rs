//! The guided lesson: chapter 11.1–11.8, one step per section. Each step states one idea,
//! asks for a prediction, runs it against the real server (the order panel, attempts and
//! sequence diagram beside it fill in as the run goes), then sets the result beside the
//! prediction, says why, and offers what to try next — in the sandbox, one click away.

mod code;
mod progress;
mod runs;

use leptos::either::{Either, EitherOf5, EitherOf6};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use super::deferred::{Deferred, Region};
use super::{learn, order};
use crate::i18n::fill;
use crate::i18n::lesson::{self, IssuedTexts, LessonTexts, RUN_STEPS};
use crate::lab::{use_lab, LabState};
use progress::Progress;
use runs::Outcome;

pub const STEPS: usize = RUN_STEPS + 1;

/// One step beside the order panel. On `/` (`home`) it is step 1, with a line inviting the
/// learner to skip the reading and just click.
#[component]
pub fn LessonPage(number: usize, #[prop(optional)] home: bool) -> impl IntoView {
    let state = use_lab();
    let progress = Progress::provide();
    if !home {
        focus_step_heading(state);
    }
    view! {
        <Deferred region=Region::StepNav { current: number }/>
        <div class="columns">
            <section class="panel lesson" aria-labelledby="step-title" data-testid="lesson-step">
                <Deferred region=Region::Step { number }/>
            </section>
            <section class="panel" aria-labelledby="order-heading">
                {home.then(|| view! {
                    <p class="hint" data-testid="just-try">{move || state.texts().page.just_try}</p>
                    {move || progress.resume_at().map(|step| view! {
                        <p><a href=format!("/lesson/{step}") data-testid="resume">{fill(state.texts().page.resume, step)}</a></p>
                    })}
                })}
                <order::OrderPanel/>
                <Deferred region=Region::Attempts { mismatch: false }/>
            </section>
        </div>
        <Deferred region=Region::Tables/>
    }
}

/// Moving to a step is a page load; once it is interactive, the keyboard and the screen reader
/// start at the step's heading, not at the top of the page. (`/` does not: there the first
/// thing to reach is the order button.)
fn focus_step_heading(state: LabState) {
    Effect::new(move |_| {
        if !state.hydrated.get() {
            return;
        }
        let heading = document().get_element_by_id("step-title");
        if let Some(heading) = heading.and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = heading.focus();
        }
    });
}

/// Links to the eight steps (a tick on those done) and to the sandbox.
#[component]
pub(super) fn StepNav(current: usize) -> impl IntoView {
    let state = use_lab();
    let progress = Progress::expect();
    let t = move || lesson::texts(state.lang.get());
    let link = move |step: usize| {
        let (section, title) = section_title(t(), step);
        view! {
            <li>
                <a
                    href=format!("/lesson/{step}")
                    data-testid=format!("step-link-{step}")
                    aria-current=(step == current).then_some("step")
                    title=title
                >
                    {section}
                    {move || progress.is_done(step).then(|| view! {
                        <span class="done" aria-label=t().done_mark>" ✓"</span>
                    })}
                </a>
            </li>
        }
    };
    view! {
        <nav class="steps" aria-label=move || t().nav>
            <ol>{(1..=STEPS).map(link).collect_view()}</ol>
            <a class="to-sandbox" href="/sandbox" data-testid="to-sandbox">{move || state.texts().page.sandbox}</a>
        </nav>
    }
}

fn section_title(t: &'static LessonTexts, step: usize) -> (&'static str, &'static str) {
    match t.steps.get(step - 1) {
        Some(s) => (s.section, s.title),
        None => (t.quiz_step.section, t.quiz_step.title),
    }
}

/// Where the step's setup lives in the sandbox (`/sandbox?scenario=…`).
fn setup_link(step: usize, key_inside_loop: bool) -> &'static str {
    match (step, key_inside_loop) {
        (1, _) | (5, false) => "/sandbox?scenario=lost-response",
        (2, _) => "/sandbox?scenario=reload",
        (3, _) => "/sandbox?scenario=prepare-fails",
        (5, true) | (7, _) => "/sandbox?scenario=new-key-every-retry",
        (6, _) => "/sandbox?scenario=reused-key",
        _ => "/sandbox",
    }
}

/// The choice the step's run should land on, when the server behaves as the chapter says.
fn expected(step: usize, key_inside_loop: bool) -> usize {
    match step {
        5 if key_inside_loop => 1,
        6 => 2,
        _ => 0,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum RunState {
    Idle,
    Running,
    Reloading,
    Done(Outcome),
    Failed(String),
}

#[component]
pub(super) fn RunStep(number: usize) -> impl IntoView {
    let state = use_lab();
    let progress = Progress::expect();
    let t = move || lesson::texts(state.lang.get());
    let step = move || &t().steps[number - 1];
    let prediction = RwSignal::new(None::<usize>);
    let run_state = RwSignal::new(RunState::Idle);
    let key_inside_loop = RwSignal::new(false);
    let guide = RwSignal::new([false; 4]);
    let asked = RwSignal::new(false);
    let running =
        Memo::new(move |_| matches!(run_state.get(), RunState::Running | RunState::Reloading));
    let finish = move |result: Result<Outcome, String>| {
        run_state.set(match result {
            Ok(outcome) => {
                progress.mark_done(number);
                RunState::Done(outcome)
            }
            Err(error) => RunState::Failed(error),
        });
    };
    // Step 2 reloads the page mid-run; the reloaded page picks the run up here.
    Effect::new(move |_| {
        if !state.hydrated.get() {
            return;
        }
        if let Some(pending) = runs::take_pending_reload(number) {
            prediction.set(Some(pending.prediction));
            run_state.set(RunState::Running);
            spawn_local(async move { finish(runs::finish_reload(state, pending).await) });
        }
    });
    let start = move |_| {
        let Some(choice) = prediction.get_untracked() else {
            asked.set(true);
            return;
        };
        if number == 4 {
            finish(Ok(ask_guide(guide)));
            return;
        }
        run_state.set(if number == 2 {
            RunState::Reloading
        } else {
            RunState::Running
        });
        let inside = key_inside_loop.get_untracked();
        spawn_local(async move { finish(runs::run(state, number, choice, inside).await) });
    };
    view! {
        <p class="step-of">{move || fill(t().step_of, number)}</p>
        <h2 id="step-title" tabindex="-1">{move || format!("{} {}", step().section, step().title)}</h2>
        <p class="idea" data-testid="lesson-idea">{move || step().idea}</p>
        <fieldset class="prediction" disabled=running>
            <legend>{move || step().question}</legend>
            {(0..3).map(|i| view! {
                <label class="check">
                    <input
                        type="radio"
                        name=format!("prediction-{number}")
                        data-testid=format!("choice-{i}")
                        prop:checked=move || prediction.get() == Some(i)
                        on:change=move |_| {
                            prediction.set(Some(i));
                            asked.set(false);
                        }
                    />
                    <span>{move || step().choices[i]}</span>
                </label>
            }).collect_view()}
        </fieldset>
        {match number {
            2 => EitherOf6::A(view! { <super::keystore::KeyStoreExperiment/> }),
            4 => EitherOf6::B(view! { <learn::DecisionGuide ticked=guide/> }),
            5 => EitherOf6::C(view! { <code::RetryCode key_inside_loop=key_inside_loop/> }),
            6 => EitherOf6::D(view! { <learn::MismatchView/> }),
            7 => EitherOf6::E(view! { <learn::SecureContext/> }),
            _ => EitherOf6::F(()),
        }}
        <div class="actions">
            <button
                type="button"
                class="primary"
                data-testid="lesson-run"
                disabled=move || running.get() || !state.hydrated.get()
                on:click=start
            >{move || t().run}</button>
            <a href=move || setup_link(number, key_inside_loop.get()) data-testid="open-setup">
                {move || t().open_setup}
            </a>
        </div>
        <div aria-live="polite" data-testid="lesson-result">
            {move || asked.get().then(|| view! { <p class="note">{t().pick_first}</p> })}
            {move || result_view(state, number, prediction, run_state, key_inside_loop)}
        </div>
        {(number == 3).then(|| view! { <RefusedIssuedKeys/> })}
        <StepLinks number=number/>
    }
}

/// Step 3's "try next", done here: an expired and an altered issued key, both refused.
#[component]
fn RefusedIssuedKeys() -> impl IntoView {
    let state = use_lab();
    let t = move || &lesson::texts(state.lang.get()).issued;
    let button = move |bad: runs::BadIssuedKey,
                       id: &'static str,
                       label: fn(&IssuedTexts) -> &'static str| {
        let answer = RwSignal::new(None::<String>);
        let send = move |_| {
            spawn_local(async move {
                let shown = match runs::order_with(bad).await {
                    Ok((status, title)) => fill(&fill(t().result, status), title),
                    Err(error) => fill(lesson::texts(state.lang.get_untracked()).failed, error),
                };
                answer.set(Some(shown));
            })
        };
        view! {
            <li>
                <button type="button" data-testid=id disabled=move || !state.hydrated.get() on:click=send>
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

/// Step 4 asks the guide instead of the server: tick the boxes that fit the case in the
/// question (the page itself retries over a shaky network; no other kind of client), read
/// its verdict.
fn ask_guide(guide: RwSignal<[bool; 4]>) -> Outcome {
    let marks = [true, false, false, false];
    guide.set(marks);
    let ticked = marks.iter().filter(|m| **m).count();
    let actual = match learn::guide_verdict(marks) {
        learn::Verdict::Client => 0,
        learn::Verdict::Server => 1,
        learn::Verdict::Either => 2,
    };
    Outcome {
        actual,
        figures: vec![ticked.to_string()],
    }
}

fn result_view(
    state: LabState,
    number: usize,
    prediction: RwSignal<Option<usize>>,
    run_state: RwSignal<RunState>,
    key_inside_loop: RwSignal<bool>,
) -> impl IntoView {
    let t = lesson::texts(state.lang.get());
    let step = &t.steps[number - 1];
    match run_state.get() {
        RunState::Idle => EitherOf5::A(()),
        RunState::Running => {
            EitherOf5::B(view! { <p class="note" data-testid="lesson-running">{t.running}</p> })
        }
        RunState::Reloading => {
            EitherOf5::C(view! { <p class="note" data-testid="lesson-running">{t.reloading}</p> })
        }
        RunState::Failed(error) => EitherOf5::D(view! {
            <p class="feedback wrong" data-testid="lesson-failed">{fill(t.failed, error)}</p>
        }),
        RunState::Done(outcome) => EitherOf5::E({
            let said = prediction.get().unwrap_or_default();
            let as_expected = outcome.actual == expected(number, key_inside_loop.get_untracked());
            let matched = said == outcome.actual;
            let answered_by = match number {
                2 => t.page_did,
                4 => t.guide_did,
                _ => t.server_did,
            };
            let evidence = outcome
                .figures
                .iter()
                .fold(step.evidence.to_string(), |text, figure| {
                    fill(&text, figure)
                });
            view! {
                <p class=if matched { "feedback right" } else { "feedback wrong" } data-testid="lesson-verdict">
                    {fill(t.you_said, step.choices[said])}{t.gap}
                    {fill(answered_by, step.choices[outcome.actual])}{t.gap}
                    {if matched { t.matched } else { t.missed }}
                </p>
                <p data-testid="lesson-evidence">{evidence}</p>
                {if as_expected {
                    Either::Left(view! {
                        <h3>{t.why}</h3>
                        <p data-testid="lesson-why">{step.why}</p>
                        <h3>{t.try_next}</h3>
                        <p data-testid="lesson-try-next">{step.try_next}</p>
                    })
                } else {
                    Either::Right(view! { <p class="note" data-testid="lesson-unexpected">{t.unexpected}</p> })
                }}
            }
        }),
    }
}

/// Step 8: the chapter's exercise; the quiz grades itself.
#[component]
pub(super) fn QuizStep() -> impl IntoView {
    let state = use_lab();
    let progress = Progress::expect();
    let t = move || &lesson::texts(state.lang.get()).quiz_step;
    // Reaching the last step counts as doing it: the quiz has no single "run".
    Effect::new(move |_| {
        if state.hydrated.get() {
            progress.mark_done(STEPS);
        }
    });
    view! {
        <p class="step-of">{move || fill(lesson::texts(state.lang.get()).step_of, STEPS)}</p>
        <h2 id="step-title" tabindex="-1">{move || format!("{} {}", t().section, t().title)}</h2>
        <p class="idea" data-testid="lesson-idea">{move || t().idea}</p>
        <learn::Quiz/>
        <h3>{move || lesson::texts(state.lang.get()).try_next}</h3>
        <p><a href="/sandbox" data-testid="lesson-try-next">{move || t().try_next}</a></p>
        <StepLinks number=STEPS/>
    }
}

/// Previous and next step.
#[component]
fn StepLinks(number: usize) -> impl IntoView {
    let state = use_lab();
    let t = move || lesson::texts(state.lang.get());
    view! {
        <nav class="step-links" aria-label=move || t().nav_neighbours>
            {(number > 1).then(|| view! {
                <a href=format!("/lesson/{}", number - 1) data-testid="previous-step" rel="prev">{move || t().previous}</a>
            })}
            {(number < STEPS).then(|| view! {
                <a href=format!("/lesson/{}", number + 1) data-testid="next-step" rel="next">{move || t().next}</a>
            })}
        </nav>
    }
}
