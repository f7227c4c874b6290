//! The pages' layouts: which panels stand where, and the state each page owns. A layout hands
//! its panels to the deferred registry (`deferred.rs`), which gives each the state it reads.

use leptos::either::EitherOf3;
use leptos::prelude::*;

use super::deferred::{Deferred, Region};
use super::lesson::progress::Progress;
use super::order::OrderPanel;
use crate::browser::{document, storage, tabs};
use crate::i18n::{fill, use_lang};
use crate::lab::order::OrderInProgress;
use crate::lab::preferences::Preferences;
use crate::lab::scenario::Scenario;
use crate::route::Page;
use crate::step::Step;

/// The layout for `page`. Each page that shows the order panel owns its order in progress.
pub fn page_view(page: Page, live: RwSignal<bool>, reachable: RwSignal<bool>) -> impl IntoView {
    match page {
        // `/` is the lesson's first step beside the order button, so the most common visit
        // (click, click again, reload) needs no reading.
        Page::Home => EitherOf3::A(view! {
            <LessonLayout step=Step::OneOperationOneKey home=true live reachable/>
        }),
        Page::Lesson(step) => EitherOf3::A(view! {
            <LessonLayout step home=false live reachable/>
        }),
        Page::Sandbox => EitherOf3::B(view! { <SandboxLayout live reachable/> }),
        Page::NotFound => EitherOf3::C(view! { <NotFound live/> }),
    }
}

/// What a page with the order panel owns: the learner's switches and the order in progress.
fn page_state(reachable: RwSignal<bool>) -> (Preferences, OrderInProgress) {
    let prefs = Preferences::new();
    (prefs, OrderInProgress::new(prefs, reachable))
}

/// Runs once the WASM is live, in this order: the saved switches, the learner's name, a
/// scenario link (once per tab: a reload keeps the learner's changes since), then a pending
/// operation resumed with its key; only then is the page marked live, so the first click
/// already obeys all of it.
fn wake_up(prefs: Preferences, order: OrderInProgress, live: RwSignal<bool>) {
    Effect::new(move |_| {
        prefs.load_saved();
        let learner = storage::learner_id();
        order.edit_draft(|d| d.user_id = learner);
        let linked = tabs::query_param("scenario");
        if let Some(scenario) = linked.as_deref().and_then(Scenario::named) {
            if !storage::scenario_applied(scenario.name()) {
                prefs.update(|s| *s = scenario.settings(s));
                storage::remember_scenario(scenario.name());
            }
        }
        if let Some(operation) = storage::load_operation() {
            order.resume(operation);
        }
        live.set(true);
        document::mark_hydrated();
    });
}

/// A lesson step beside the order button. On `/` (`home`) it is step 1, with a line inviting
/// the learner to skip the reading and just click.
#[component]
fn LessonLayout(
    step: Step,
    home: bool,
    live: RwSignal<bool>,
    reachable: RwSignal<bool>,
) -> impl IntoView {
    let (prefs, order) = page_state(reachable);
    wake_up(prefs, order, live);
    let progress = Progress::load();
    let live = live.read_only();
    if !home {
        focus_step_heading(live);
    }
    let lang = use_lang();
    view! {
        <Deferred region=Region::StepNav { current: step, progress }/>
        <div class="columns">
            <section class="panel lesson" aria-labelledby="step-title" data-testid="lesson-step">
                <Deferred region=Region::Step { step, progress, order, prefs, live }/>
            </section>
            <section class="panel" aria-labelledby="order-heading">
                {home.then(|| view! {
                    <p class="hint" data-testid="just-try">{move || lang.get().texts().page.just_try}</p>
                    {move || progress.resume_at().map(|step| view! {
                        <p><a href=step.path() data-testid="resume">{fill(lang.get().texts().page.resume, step.number())}</a></p>
                    })}
                })}
                <OrderPanel order prefs=prefs.signal() live reachable=reachable.read_only()/>
                <Deferred region=Region::Attempts { order, mismatch: false }/>
            </section>
        </div>
        <Deferred region=Region::Tables { order, prefs, reachable, live }/>
    }
}

/// Moving to a step is a page load; once it is interactive, the keyboard and the screen reader
/// start at the step's heading, not at the top of the page. (`/` does not: there the first
/// thing to reach is the order button.)
fn focus_step_heading(live: ReadSignal<bool>) {
    Effect::new(move |_| {
        if live.get() {
            document::focus_by_id("step-title");
        }
    });
}

/// `/sandbox`: every switch, table and teaching panel at once.
#[component]
fn SandboxLayout(live: RwSignal<bool>, reachable: RwSignal<bool>) -> impl IntoView {
    let (prefs, order) = page_state(reachable);
    wake_up(prefs, order, live);
    let live = live.read_only();
    view! {
        <Deferred region=Region::Scenarios { prefs, order }/>
        <div class="columns">
            <section class="panel" aria-labelledby="order-heading">
                <Deferred region=Region::KeyMode { prefs, order, live }/>
                <OrderPanel order prefs=prefs.signal() live reachable=reachable.read_only()/>
                <Deferred region=Region::Switches { prefs, order, live }/>
            </section>
            <section class="panel" aria-labelledby="attempts-heading">
                <Deferred region=Region::Attempts { order, mismatch: true }/>
            </section>
        </div>
        <Deferred region=Region::Tables { order, prefs, reachable, live }/>
        <Deferred region=Region::Teaching { live }/>
    }
}

#[component]
fn NotFound(live: RwSignal<bool>) -> impl IntoView {
    // The server answers this page with 404 (it knows from the address alone).
    Effect::new(move |_| {
        live.set(true);
        document::mark_hydrated();
    });
    let lang = use_lang();
    view! {
        <section class="panel">
            <h2>{move || lang.get().texts().page.not_found}</h2>
            <p><a href="/">{move || lang.get().texts().page.back}</a></p>
        </section>
    }
}
