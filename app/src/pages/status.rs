//! The line under the order form that says what is happening, and the operation's key.

use leptos::prelude::*;

use crate::api::ProblemType;
use crate::i18n::{fill, use_lang, StatusTexts};
use crate::lab::attempt::{Activity, Explain, Phase};
use crate::lab::keys::short_key;
use crate::lab::order::OrderInProgress;
use crate::lab::settings::{KeyMode, Settings};

/// Announced to screen readers as it changes. `mode` is who makes the next operation's key.
#[component]
pub fn StatusLine(order: OrderInProgress, prefs: ReadSignal<Settings>) -> impl IntoView {
    let lang = use_lang();
    let phase = order.watch(|op| op.map(|op| op.phase.clone()));
    // A second order under the operation's key: the server had forgotten the key.
    let made_again = order.watch(|op| {
        op.and_then(|op| op.attempts.last())
            .is_some_and(|last| last.explain == Explain::CreatedAgain)
    });
    let activity = order.activity();
    let status = move || {
        let texts = &lang.get().texts().status;
        match activity.get() {
            Activity::Preparing => return texts.preparing.to_owned(),
            Activity::Sending { attempt } => return fill(texts.sending, attempt),
            Activity::Waiting { seconds } => return fill(texts.waiting, seconds),
            Activity::Idle => {}
        }
        match phase.get() {
            None if prefs.with(|s| s.mode) == KeyMode::Server => texts.idle_server.to_owned(),
            None => texts.idle.to_owned(),
            Some(Phase::Pending) => String::new(),
            Some(Phase::Done { replayed: false }) if made_again.get() => {
                texts.done_again.to_owned()
            }
            Some(Phase::Done { replayed: false }) => texts.done.to_owned(),
            Some(Phase::Done { replayed: true }) => texts.done_replayed.to_owned(),
            Some(Phase::Failed { title, detail }) => {
                format!("{} — {detail}", fill(texts.failed, title))
            }
            Some(Phase::GaveUp { attempts }) => format!(
                "{} — {attempts} × {}",
                fill(texts.failed, texts.network_error),
                texts.explain_network
            ),
        }
    };
    let phase_class = move || match phase.get() {
        Some(Phase::Done { .. }) => "status done",
        Some(Phase::Failed { .. } | Phase::GaveUp { .. }) => "status failed",
        _ => "status",
    };
    // Only the key line's own facts: it is not drawn again for every attempt.
    let key = order.watch(|op| {
        op.and_then(|op| {
            let key = op.key.clone()?;
            Some((key, op.key_expires_at.clone(), op.resumed))
        })
    });
    // After a 409 (while the operation still waits on it) or a 422, the next stop for the
    // keyboard is the page explaining it.
    let refusal = order.watch(|op| {
        let op = op?;
        let done = matches!(op.phase, Phase::Done { .. });
        match op.attempts.last()?.explain {
            Explain::InFlight if !done => Some(Refusal::InFlight),
            Explain::Mismatch => Some(Refusal::KeyReused),
            _ => None,
        }
    });
    view! {
        <div class=phase_class>
            <p aria-live="polite" role="status" data-testid="status">{status}</p>
            {move || refusal.get().map(|refusal| {
                let words = refusal.words(&lang.get().texts().status);
                view! { <p><a href=refusal.page() target="_blank" data-testid="why">{words}</a></p> }
            })}
            {move || {
                key.get()
                    .map(|(key, expires, resumed)| {
                        let texts = &lang.get().texts().status;
                        view! {
                            <p class="key-line">
                                {texts.current_key}": "
                                <code data-testid="current-key" title=key.clone()>{key.clone()}</code>
                                {expires.map(|at| format!(" ({})", fill(texts.key_expires, at)))}
                            </p>
                            {resumed.then(|| view! {
                                <p class="banner" data-testid="resume-banner">{fill(texts.resuming, short_key(&key))}</p>
                            })}
                        }
                    })
            }}
        </div>
    }
}

/// A refusal the learner can read a page about: the server's problem page for it (the
/// `type` its answer names) and the link's words.
#[derive(Clone, Copy, PartialEq)]
enum Refusal {
    /// 409: the first request with this key is still running.
    InFlight,
    /// 422: the key was first used for a different order.
    KeyReused,
}

impl Refusal {
    /// The server's page about the problem this refusal's answer names.
    fn page(self) -> String {
        match self {
            Self::InFlight => ProblemType::RequestInFlight,
            Self::KeyReused => ProblemType::IdempotencyKeyReused,
        }
        .uri()
    }

    fn words(self, texts: &'static StatusTexts) -> &'static str {
        match self {
            Self::InFlight => texts.why_in_flight,
            Self::KeyReused => texts.why_reused,
        }
    }
}
