//! The guided lesson: chapter 11.1–11.8, one step per section. Each step states one idea,
//! asks for a prediction, runs it against the real server (the order panel, attempts and
//! sequence diagram beside it fill in as the run goes), then sets the result beside the
//! prediction, says why, and offers what to try next — in the sandbox, one click away.

mod code;
mod issued;
pub mod progress;
mod runs;

use leptos::either::{Either, EitherOf5, EitherOf6};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::compare::{guide_verdict, DecisionGuide, Verdict};
use super::keystore::KeyStoreExperiment;
use super::mismatch::MismatchView;
use super::quiz::Quiz;
use super::secure::SecureContext;
use crate::i18n::lesson::{self, LessonTexts};
use crate::i18n::{fill, use_lang};
use crate::lab::order::OrderInProgress;
use crate::lab::preferences::Preferences;
use crate::step::Step;
use progress::Progress;
use runs::{Outcome, Workbench};

/// Links to the eight steps (a tick on those done) and to the sandbox.
#[component]
pub fn StepNav(current: Step, progress: Progress) -> impl IntoView {
    let lang = use_lang();
    let t = move || lesson::texts(lang.get());
    let link = move |step: Step| {
        let (section, title) = section_title(t(), step);
        view! {
            <li>
                <a
                    href=step.path()
                    data-testid=format!("step-link-{}", step.number())
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
            <ol>{Step::ALL.into_iter().map(link).collect_view()}</ol>
            <a class="to-sandbox" href="/sandbox" data-testid="to-sandbox">{move || lang.get().texts().page.sandbox}</a>
        </nav>
    }
}

fn section_title(t: &'static LessonTexts, step: Step) -> (&'static str, &'static str) {
    match t.steps.get(step.number() - 1) {
        Some(s) => (s.section, s.title),
        None => (t.quiz_step.section, t.quiz_step.title),
    }
}

/// Where the step's setup lives in the sandbox (`/sandbox?scenario=…`).
fn setup_link(step: Step, key_inside_loop: bool) -> &'static str {
    match (step, key_inside_loop) {
        (Step::OneOperationOneKey, _) | (Step::ClientDuties, false) => {
            "/sandbox?scenario=lost-response"
        }
        (Step::ClientKeys, _) => "/sandbox?scenario=reload",
        (Step::ServerKeys, _) => "/sandbox?scenario=prepare-fails",
        (Step::ClientDuties, true) | (Step::Accidents, _) => {
            "/sandbox?scenario=new-key-every-retry"
        }
        (Step::Refusals, _) => "/sandbox?scenario=reused-key",
        (Step::Choosing | Step::Quiz, _) => "/sandbox",
    }
}

/// The choice the step's run should land on, when the server behaves as the chapter says.
fn expected(step: Step, key_inside_loop: bool) -> usize {
    match step {
        Step::ClientDuties if key_inside_loop => 1,
        Step::Refusals => 2,
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
pub fn RunStep(
    step: Step,
    progress: Progress,
    order: OrderInProgress,
    prefs: Preferences,
    live: ReadSignal<bool>,
) -> impl IntoView {
    let lang = use_lang();
    let bench = Workbench { order, prefs };
    let number = step.number();
    let t = move || lesson::texts(lang.get());
    let words = move || &t().steps[number - 1];
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
                progress.mark_done(step);
                RunState::Done(outcome)
            }
            Err(error) => RunState::Failed(error),
        });
    };
    // Step 2 reloads the page mid-run; the reloaded page picks the run up here.
    Effect::new(move |_| {
        if !live.get() {
            return;
        }
        if let Some(pending) = runs::take_pending_reload(step) {
            prediction.set(Some(pending.prediction));
            run_state.set(RunState::Running);
            spawn_local(async move { finish(runs::finish_reload(bench, pending).await) });
        }
    });
    let start = move |_| {
        let Some(choice) = prediction.get_untracked() else {
            asked.set(true);
            return;
        };
        if step == Step::Choosing {
            finish(Ok(ask_guide(guide)));
            return;
        }
        run_state.set(if step == Step::ClientKeys {
            RunState::Reloading
        } else {
            RunState::Running
        });
        let inside = key_inside_loop.get_untracked();
        spawn_local(async move { finish(runs::run(bench, step, choice, inside).await) });
    };
    view! {
        <p class="step-of">{move || fill(t().step_of, number)}</p>
        <h2 id="step-title" tabindex="-1">{move || format!("{} {}", words().section, words().title)}</h2>
        <p class="idea" data-testid="lesson-idea">{move || words().idea}</p>
        <fieldset class="prediction" disabled=running>
            <legend>{move || words().question}</legend>
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
                    <span>{move || words().choices[i]}</span>
                </label>
            }).collect_view()}
        </fieldset>
        {match step {
            Step::ClientKeys => EitherOf6::A(view! { <KeyStoreExperiment prefs live/> }),
            Step::Choosing => EitherOf6::B(view! { <DecisionGuide ticked=guide/> }),
            Step::ClientDuties => EitherOf6::C(view! { <code::RetryCode key_inside_loop live/> }),
            Step::Refusals => EitherOf6::D(view! { <MismatchView order/> }),
            Step::Accidents => EitherOf6::E(view! { <SecureContext/> }),
            Step::OneOperationOneKey | Step::ServerKeys | Step::Quiz => EitherOf6::F(()),
        }}
        <div class="actions">
            <button
                type="button"
                class="primary"
                data-testid="lesson-run"
                disabled=move || running.get() || !live.get()
                on:click=start
            >{move || t().run}</button>
            <a href=move || setup_link(step, key_inside_loop.get()) data-testid="open-setup">
                {move || t().open_setup}
            </a>
        </div>
        <div aria-live="polite" data-testid="lesson-result">
            {move || asked.get().then(|| view! { <p class="note">{t().pick_first}</p> })}
            {move || result_view(t(), step, prediction, run_state, key_inside_loop)}
        </div>
        {(step == Step::ServerKeys).then(|| view! { <issued::RefusedIssuedKeys live/> })}
        <StepLinks step/>
    }
}

/// Step 4 asks the guide instead of the server: tick the boxes that fit the case in the
/// question (the page itself retries over a shaky network; no other kind of client), read
/// its verdict.
fn ask_guide(guide: RwSignal<[bool; 4]>) -> Outcome {
    let marks = [true, false, false, false];
    guide.set(marks);
    let ticked = marks.iter().filter(|m| **m).count();
    let actual = match guide_verdict(marks) {
        Verdict::Client => 0,
        Verdict::Server => 1,
        Verdict::Either => 2,
    };
    Outcome {
        actual,
        figures: vec![ticked.to_string()],
    }
}

fn result_view(
    t: &'static LessonTexts,
    step: Step,
    prediction: RwSignal<Option<usize>>,
    run_state: RwSignal<RunState>,
    key_inside_loop: RwSignal<bool>,
) -> impl IntoView {
    let words = &t.steps[step.number() - 1];
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
            let as_expected = outcome.actual == expected(step, key_inside_loop.get_untracked());
            let matched = said == outcome.actual;
            let answered_by = match step {
                Step::ClientKeys => t.page_did,
                Step::Choosing => t.guide_did,
                _ => t.server_did,
            };
            let evidence = outcome
                .figures
                .iter()
                .fold(words.evidence.to_string(), |text, figure| {
                    fill(&text, figure)
                });
            view! {
                <p class=if matched { "feedback right" } else { "feedback wrong" } data-testid="lesson-verdict">
                    {fill(t.you_said, words.choices[said])}{t.gap}
                    {fill(answered_by, words.choices[outcome.actual])}{t.gap}
                    {if matched { t.matched } else { t.missed }}
                </p>
                <p data-testid="lesson-evidence">{evidence}</p>
                {if as_expected {
                    Either::Left(view! {
                        <h3>{t.why}</h3>
                        <p data-testid="lesson-why">{words.why}</p>
                        <h3>{t.try_next}</h3>
                        <p data-testid="lesson-try-next">{words.try_next}</p>
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
pub fn QuizStep(progress: Progress, live: ReadSignal<bool>) -> impl IntoView {
    let lang = use_lang();
    let t = move || &lesson::texts(lang.get()).quiz_step;
    // Reaching the last step counts as doing it: the quiz has no single "run".
    Effect::new(move |_| {
        if live.get() {
            progress.mark_done(Step::Quiz);
        }
    });
    view! {
        <p class="step-of">{move || fill(lesson::texts(lang.get()).step_of, Step::Quiz.number())}</p>
        <h2 id="step-title" tabindex="-1">{move || format!("{} {}", t().section, t().title)}</h2>
        <p class="idea" data-testid="lesson-idea">{move || t().idea}</p>
        <Quiz live/>
        <h3>{move || lesson::texts(lang.get()).try_next}</h3>
        <p><a href="/sandbox" data-testid="lesson-try-next">{move || t().try_next}</a></p>
        <StepLinks step=Step::Quiz/>
    }
}

/// Previous and next step.
#[component]
fn StepLinks(step: Step) -> impl IntoView {
    let lang = use_lang();
    let t = move || lesson::texts(lang.get());
    view! {
        <nav class="step-links" aria-label=move || t().nav_neighbours>
            {step.previous().map(|previous| view! {
                <a href=previous.path() data-testid="previous-step" rel="prev">{move || t().previous}</a>
            })}
            {step.next().map(|next| view! {
                <a href=next.path() data-testid="next-step" rel="next">{move || t().next}</a>
            })}
        </nav>
    }
}
