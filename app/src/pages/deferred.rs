//! What the browser takes over after the page is interactive. The server renders every panel,
//! so the learner sees the whole page at first paint. The browser's first WebAssembly file
//! carries only what the most common visit needs: the frame, and the order panel with the
//! driver behind it (click, click again, reload mid-request). Everything else (the lesson
//! step, the switches, the attempts, the diagram, the tables, the teaching panels) comes in
//! a second file, fetched once the page is live, and is then drawn afresh from the lab's
//! state. Their texts are apart too (`i18n::PanelTexts`), so they travel in the second file.
//!
//! Drawn afresh, not hydrated: by the time the second file arrives the learner may already
//! have clicked, and a list hydrated against a page that has since changed would break.

use leptos::prelude::*;
#[cfg(feature = "hydrate")]
use leptos::reactive::computed::ScopedFuture;
#[cfg(feature = "hydrate")]
use wasm_bindgen::JsCast;

use super::lesson::progress::Progress;
use super::lesson::{QuizStep, RunStep, StepNav};
use super::timeline::Timeline;
use super::{compare, controls, keystore, mismatch, quiz, scenarios, secure, sequence, tables};
use crate::lab::order::OrderInProgress;
use crate::lab::preferences::Preferences;
use crate::step::Step;

/// One part of a page that the browser takes over after the rest, with the state its panels
/// read: the registry that wires each panel to what it may see and change, and nothing more.
#[derive(Clone, Copy)]
pub enum Region {
    /// The lesson's step links, with a tick on each step done. (Plain links: they work before.)
    StepNav { current: Step, progress: Progress },
    /// A lesson step's own column: its idea, prediction and run button.
    Step {
        step: Step,
        progress: Progress,
        order: OrderInProgress,
        prefs: Preferences,
        live: ReadSignal<bool>,
    },
    /// What the attempts did: the mismatch view (sandbox only), the timeline and the diagram.
    Attempts {
        order: OrderInProgress,
        mismatch: bool,
    },
    /// The orders and the idempotency records, as the server holds them.
    Tables {
        order: OrderInProgress,
        prefs: Preferences,
        reachable: RwSignal<bool>,
        live: ReadSignal<bool>,
    },
    /// The sandbox's ready-made scenarios.
    Scenarios {
        prefs: Preferences,
        order: OrderInProgress,
    },
    /// The sandbox's key-mode switch, above the order button.
    KeyMode {
        prefs: Preferences,
        order: OrderInProgress,
        live: ReadSignal<bool>,
    },
    /// The sandbox's switches below the order button, and its key-storage experiment.
    Switches {
        prefs: Preferences,
        order: OrderInProgress,
        live: ReadSignal<bool>,
    },
    /// The sandbox's comparison, guide, quiz and secure-context panels.
    Teaching { live: ReadSignal<bool> },
}

impl Region {
    /// The region's panels: rendered into the page on the server, built in the browser.
    fn view(self) -> impl IntoView {
        use leptos::either::{Either, EitherOf8::*};
        match self {
            Region::StepNav { current, progress } => H(view! { <StepNav current progress/> }),
            Region::Step {
                step,
                progress,
                order,
                prefs,
                live,
            } => A(if step.is_last() {
                Either::Left(view! { <QuizStep progress live/> })
            } else {
                Either::Right(view! { <RunStep step progress order prefs live/> })
            }),
            Region::Attempts { order, mismatch } => B(view! {
                {mismatch.then(|| view! { <mismatch::MismatchView order/> })}
                <Timeline attempts=order.attempts()/>
                <sequence::SequenceDiagram attempts=order.attempts()/>
            }),
            Region::Tables {
                order,
                prefs,
                reachable,
                live,
            } => C(view! { <tables::ServerTables order prefs reachable live/> }),
            Region::Scenarios { prefs, order } => D(view! { <scenarios::Scenarios prefs order/> }),
            Region::KeyMode { prefs, order, live } => {
                E(view! { <controls::KeyMode prefs order live/> })
            }
            Region::Switches { prefs, order, live } => F(view! {
                <controls::LabControls prefs order live/>
                <controls::Accidents prefs live/>
                <keystore::KeyStoreExperiment prefs live/>
            }),
            Region::Teaching { live } => G(view! {
                <div class="columns">
                    <section class="panel" aria-labelledby="compare-heading">
                        <compare::Comparison/>
                        <compare::DecisionGuide/>
                    </section>
                    <section class="panel" aria-labelledby="quiz-heading">
                        <quiz::Quiz live/>
                        <secure::SecureContext/>
                    </section>
                </div>
            }),
        }
    }
}

/// The region's box. `data-deferred` says `waiting` until the browser has built the panels
/// inside, then `ready`; `retrying` while the second file could not be fetched.
#[component]
pub fn Deferred(region: Region) -> impl IntoView {
    #[cfg(not(feature = "hydrate"))]
    {
        view! { <div class="deferred" data-deferred="waiting">{region.view()}</div> }
    }
    #[cfg(feature = "hydrate")]
    {
        let slot = NodeRef::<leptos::html::Div>::new();
        let second_file = expect_context::<SecondFile>().0;
        // The panels are owned here, so they find the language in this owner's context, and
        // are built untracked, so nothing they read can make this effect run (and drop them)
        // again.
        let owner = Owner::current().expect("a component runs under an owner");
        Effect::new(move |built: Option<bool>| {
            if built == Some(true) {
                return true;
            }
            let Some(slot) = slot.get_untracked() else {
                return false;
            };
            match second_file.get() {
                Arrival::Waiting => return false,
                Arrival::Retrying => {
                    let _ = slot.set_attribute("data-deferred", "retrying");
                    return false;
                }
                Arrival::Arrived => {}
            }
            let build = owner.with(|| ScopedFuture::new_untracked(build_in(region, slot)));
            leptos::task::spawn_local(async move {
                let _ = build.await;
            });
            true
        });
        view! { <div class="deferred" data-deferred="waiting" node_ref=slot></div> }
    }
}

/// Where the second file is: one fetch for the whole page, which every region waits for.
#[cfg(feature = "hydrate")]
#[derive(Clone, Copy)]
struct SecondFile(RwSignal<Arrival>);

#[cfg(feature = "hydrate")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arrival {
    Waiting,
    /// A fetch failed; the next one is under way or due.
    Retrying,
    Arrived,
}

/// Fetches the second file once the page is interactive. Until it arrives, the server's
/// rendering of the regions stays: readable, not yet live. A failed fetch (the learner cut the
/// network) is tried again every 3 s, and never stops the order button, which lives in the
/// first file.
pub fn fetch_second_file(live: ReadSignal<bool>) {
    #[cfg(feature = "hydrate")]
    {
        let second_file = RwSignal::new(Arrival::Waiting);
        provide_context(SecondFile(second_file));
        Effect::new(move |started: Option<bool>| {
            if started == Some(true) || !live.get() {
                return started.unwrap_or(false);
            }
            leptos::task::spawn_local(async move {
                while __wasm_split_preload_build_in().await.is_err() {
                    second_file.set(Arrival::Retrying);
                    crate::browser::time::sleep_ms(3000).await;
                }
                second_file.set(Arrival::Arrived);
            });
            true
        });
    }
    // The server renders the regions whole; nothing to fetch.
    #[cfg(not(feature = "hydrate"))]
    let _ = live;
}

/// Replaces the server's rendering of `region` with panels built from the lab's state now,
/// keeping the keyboard's place: an element that had the focus in the old rendering (the
/// step's heading, a choice) gets it back in the new one. This function's code, and all that
/// only it reaches, is what the split step moves into the second file.
#[cfg(feature = "hydrate")]
#[leptos::wasm_split::wasm_split(
    deferred_panels,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(__wasm_split_preload_build_in)
)]
fn build_in(
    region: Region,
    slot: web_sys::HtmlDivElement,
) -> Result<(), leptos::wasm_split::SplitLoaderError> {
    use leptos::tachys::view::{Mountable, Render};
    let focused = focused_within(&slot);
    slot.set_inner_html("");
    let mut built = region.view().build();
    built.mount(&slot, None);
    // The panels live as long as the page: moving to another page is a full load.
    std::mem::forget(built);
    if let Some(selector) = focused {
        if let Ok(Some(element)) = slot.query_selector(&selector) {
            if let Ok(element) = element.dyn_into::<web_sys::HtmlElement>() {
                let _ = element.focus();
            }
        }
    }
    let _ = slot.set_attribute("data-deferred", "ready");
    Ok(())
}

/// A selector for the element inside `slot` that has the focus, by its id or test id.
#[cfg(feature = "hydrate")]
fn focused_within(slot: &web_sys::HtmlDivElement) -> Option<String> {
    let active = web_sys::window()?.document()?.active_element()?;
    if !slot.contains(Some(&active)) {
        return None;
    }
    match (active.id(), active.get_attribute("data-testid")) {
        (id, _) if !id.is_empty() => Some(format!("#{id}")),
        (_, Some(test_id)) => Some(format!("[data-testid=\"{test_id}\"]")),
        _ => None,
    }
}
