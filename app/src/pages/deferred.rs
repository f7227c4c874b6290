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

use super::lesson::{self, STEPS};
use super::{controls, keystore, learn, sequence, timeline, ServerTables};

/// One part of a page that the browser takes over after the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// The lesson's step links, with a tick on each step done. (Plain links: they work before.)
    StepNav { current: usize },
    /// A lesson step's own column: its idea, prediction and run button.
    Step { number: usize, home: bool },
    /// What the attempts did: the mismatch view (sandbox only), the timeline and the diagram.
    Attempts { mismatch: bool },
    /// The orders and the idempotency records.
    Tables,
    /// The sandbox's ready-made scenarios.
    Scenarios,
    /// The sandbox's key-mode switch, above the order button.
    KeyMode,
    /// The sandbox's switches below the order button, and its key-storage experiment.
    Switches,
    /// The sandbox's comparison, guide, quiz and secure-context panels.
    Teaching,
}

impl Region {
    /// The region's panels: rendered into the page on the server, built in the browser.
    fn view(self) -> impl IntoView {
        use leptos::either::{Either, EitherOf8::*};
        match self {
            Region::StepNav { current } => H(view! { <lesson::StepNav current=current/> }),
            Region::Step { number, home } => A(if number == STEPS {
                Either::Left(view! { <lesson::QuizStep/> })
            } else {
                Either::Right(view! { <lesson::RunStep number=number home=home/> })
            }),
            Region::Attempts { mismatch } => B(view! {
                {mismatch.then(|| view! { <learn::MismatchView/> })}
                <timeline::Timeline/>
                <sequence::SequenceDiagram/>
            }),
            Region::Tables => C(view! { <ServerTables/> }),
            Region::Scenarios => D(view! { <learn::Scenarios/> }),
            Region::KeyMode => E(view! { <controls::KeyMode/> }),
            Region::Switches => F(view! {
                <controls::LabControls/>
                <controls::Accidents/>
                <keystore::KeyStoreExperiment/>
            }),
            Region::Teaching => G(view! {
                <div class="columns">
                    <section class="panel" aria-labelledby="compare-heading">
                        <learn::Comparison/>
                        <learn::DecisionGuide/>
                    </section>
                    <section class="panel" aria-labelledby="quiz-heading">
                        <learn::Quiz/>
                        <learn::SecureContext/>
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
        let state = crate::lab::use_lab();
        Effect::new(move |started: Option<()>| {
            if started.is_some() || !state.hydrated.get() {
                return;
            }
            if let Some(slot) = slot.get_untracked() {
                // Scoped: the panels find the lab's state in the context of this owner.
                leptos::task::spawn_local_scoped(build_once_loaded(region, slot));
            }
        });
        view! { <div class="deferred" data-deferred="waiting" node_ref=slot></div> }
    }
}

/// Until the second file arrives, the server's rendering stays: readable, not yet live. A
/// failed fetch (the learner cut the network) is tried again, and never stops the order
/// button, which lives in the first file.
#[cfg(feature = "hydrate")]
async fn build_once_loaded(region: Region, slot: web_sys::HtmlDivElement) {
    while build_in(region, slot.clone()).await.is_err() {
        let _ = slot.set_attribute("data-deferred", "retrying");
        crate::lab::client::sleep_ms(3000).await;
    }
}

/// Replaces the server's rendering of `region` with panels built from the lab's state now.
/// Its code, and everything only it reaches, is split into the second file, fetched on the
/// first call (whichever region asks first).
#[cfg(feature = "hydrate")]
#[leptos::wasm_split::wasm_split(deferred_panels, wasm_split_path = ::leptos::wasm_split, fallible)]
fn build_in(
    region: Region,
    slot: web_sys::HtmlDivElement,
) -> Result<(), leptos::wasm_split::SplitLoaderError> {
    use leptos::tachys::view::{Mountable, Render};
    slot.set_inner_html("");
    let mut built = region.view().build();
    built.mount(&slot, None);
    // The panels live as long as the page: moving to another page is a full load.
    std::mem::forget(built);
    let _ = slot.set_attribute("data-deferred", "ready");
    Ok(())
}
