//! The order form, its buttons, and the line that says what is happening.

use leptos::prelude::*;

use crate::api::{OrderItem, ProblemType, MAX_ITEMS, MAX_QTY};
use crate::i18n::{fill, StatusTexts};
use crate::lab::{driver, short_key, use_lab, Activity, Explain, KeyMode, Operation, Phase};

#[component]
pub fn OrderPanel() -> impl IntoView {
    let state = use_lab();
    let texts = move || state.texts();
    // Read from the operation without cloning it, and only passed on when they change.
    let operation_is = move |test: fn(&Operation) -> bool| {
        Memo::new(move |_| state.operation.with(|op| op.as_ref().is_some_and(test)))
    };
    let pending = operation_is(Operation::is_pending);
    let finished = operation_is(|op| !op.is_pending());
    // Editing the form after an operation began makes the next click a new operation.
    let edited = Memo::new(move |_| {
        state.operation.with(|op| {
            op.as_ref()
                .is_some_and(|op| state.draft.with(|draft| op.body != *draft))
        })
    });
    let primary_disabled = move || {
        let settings = state.settings.get();
        !state.hydrated.get()
            || (pending.get() && !edited.get() && settings.disable_while_pending)
            || (finished.get() && !edited.get())
    };
    // Accident 2 keeps one key per user: an edited order is then *not* a new key.
    let user_key = Memo::new(move |_| {
        let settings = state.settings.get();
        settings.reuse_user_key && settings.mode == KeyMode::Client
    });
    // The button is disabled once the order is done, and a disabled button loses the focus:
    // a keyboard user is then taken to "Send again", the next thing to try, not to the page's top.
    let primary_button = NodeRef::<leptos::html::Button>::new();
    let send_again_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if !finished.get() {
            return;
        }
        let focused = document().active_element();
        let lost = focused.is_none_or(|element| {
            element.tag_name() == "BODY"
                || primary_button
                    .get_untracked()
                    .is_some_and(|b| AsRef::<web_sys::Element>::as_ref(&b) == &element)
        });
        if let Some(next) = send_again_button.get_untracked().filter(|_| lost) {
            let _ = next.focus();
        }
    });
    let primary = move |_| {
        if pending.get() && !edited.get() {
            driver::send_again(state);
        } else {
            driver::start(state);
        }
    };

    view! {
        <fieldset class="order">
            <legend id="order-heading">{move || texts().order.heading}</legend>
            <OrderForm/>
            <div class="actions">
                <button
                    type="button"
                    class="primary"
                    data-testid="place-order"
                    node_ref=primary_button
                    disabled=primary_disabled
                    on:click=primary
                >
                    {move || match (edited.get(), user_key.get()) {
                        (false, _) => texts().order.place_order,
                        (true, false) => texts().order.place_new_order,
                        (true, true) => texts().order.place_order_user_key,
                    }}
                </button>
                <Show when=move || finished.get()>
                    <button type="button" data-testid="send-again" node_ref=send_again_button on:click=move |_| driver::send_again(state)>
                        {move || texts().order.send_again}
                    </button>
                    <button type="button" data-testid="new-order" on:click=move |_| driver::abandon(state)>
                        {move || texts().order.new_order}
                    </button>
                </Show>
                <Show when=move || pending.get()>
                    <button type="button" class="danger" data-testid="abandon" on:click=move |_| driver::abandon(state)>
                        {move || texts().order.abandon}
                    </button>
                </Show>
            </div>
            <Show when=move || edited.get()>
                <p class="note" data-testid="edited-note">
                    {move || if user_key.get() { texts().order.edited_note_user_key } else { texts().order.edited_note }}
                </p>
            </Show>
            <Show when=move || pending.get() && !state.server_up.get()>
                <p class="note">{move || texts().order.abandon_note}</p>
            </Show>
            <StatusLine/>
        </fieldset>
    }
}

#[component]
fn OrderForm() -> impl IntoView {
    let state = use_lab();
    let texts = move || state.texts();
    let items = move || state.draft.get().items;
    let disabled = move || !state.hydrated.get();
    let set_item = move |index: usize, edit: Box<dyn FnOnce(&mut OrderItem)>| {
        state.draft.update(|d| {
            if let Some(item) = d.items.get_mut(index) {
                edit(item);
            }
        })
    };
    view! {
        <label class="field">
            <span>{move || texts().order.user_id}</span>
            <input
                type="text"
                data-testid="user-id"
                maxlength="64"
                prop:value=move || state.draft.get().user_id
                disabled=disabled
                on:input=move |ev| {
                    let user = event_target_value(&ev);
                    crate::lab::client::save_learner_id(&user);
                    state.draft.update(|d| d.user_id = user);
                }
            />
        </label>
        <table class="items">
            <caption class="sr-only">{move || texts().order.heading}</caption>
            <thead>
                <tr>
                    <th scope="col">{move || texts().order.sku}</th>
                    <th scope="col">{move || texts().order.qty}</th>
                    <td></td>
                </tr>
            </thead>
            <tbody>
                {move || {
                    items()
                        .into_iter()
                        .enumerate()
                        .map(|(index, item)| {
                            view! {
                                <tr>
                                    <td>
                                        <input
                                            type="text"
                                            maxlength="32"
                                            aria-label=move || texts().order.sku
                                            data-testid=format!("sku-{index}")
                                            prop:value=item.sku.clone()
                                            disabled=disabled
                                            on:change=move |ev| {
                                                let sku = event_target_value(&ev);
                                                set_item(index, Box::new(move |i| i.sku = sku));
                                            }
                                        />
                                    </td>
                                    <td>
                                        <input
                                            type="number"
                                            min="1"
                                            max=MAX_QTY.to_string()
                                            aria-label=move || texts().order.qty
                                            data-testid=format!("qty-{index}")
                                            prop:value=item.qty.to_string()
                                            disabled=disabled
                                            on:change=move |ev| {
                                                let qty = event_target_value(&ev).parse().unwrap_or(0);
                                                set_item(index, Box::new(move |i| i.qty = qty));
                                            }
                                        />
                                    </td>
                                    <td>
                                        <button
                                            type="button"
                                            class="link"
                                            disabled=move || { disabled() || items().len() <= 1 }
                                            on:click=move |_| state.draft.update(|d| { d.items.remove(index); })
                                        >{move || texts().order.remove_item}</button>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()
                }}
            </tbody>
        </table>
        <button
            type="button"
            class="link"
            data-testid="add-item"
            disabled=move || { disabled() || items().len() >= MAX_ITEMS }
            on:click=move |_| state.draft.update(|d| d.items.push(OrderItem { sku: "PEN-2".into(), qty: 1 }))
        >{move || texts().order.add_item}</button>
    }
}

/// Announced to screen readers as it changes.
#[component]
fn StatusLine() -> impl IntoView {
    let state = use_lab();
    let phase = Memo::new(move |_| {
        state
            .operation
            .with(|op| op.as_ref().map(|op| op.phase.clone()))
    });
    // A second order under the operation's key: the server had forgotten the key.
    let made_again = Memo::new(move |_| {
        state.operation.with(|op| {
            op.as_ref()
                .and_then(|op| op.attempts.last())
                .is_some_and(|last| last.explain == Explain::CreatedAgain)
        })
    });
    let status = move || {
        let texts = state.texts();
        match state.activity.get() {
            Activity::Preparing => return texts.status.preparing.to_owned(),
            Activity::Sending { attempt } => return fill(texts.status.sending, attempt),
            Activity::Waiting { seconds } => return fill(texts.status.waiting, seconds),
            Activity::Idle => {}
        }
        match phase.get() {
            None if state.settings.with(|s| s.mode) == KeyMode::Server => {
                texts.status.idle_server.to_owned()
            }
            None => texts.status.idle.to_owned(),
            Some(Phase::Pending) => String::new(),
            Some(Phase::Done { replayed: false }) if made_again.get() => {
                texts.status.done_again.to_owned()
            }
            Some(Phase::Done { replayed: false }) => texts.status.done.to_owned(),
            Some(Phase::Done { replayed: true }) => texts.status.done_replayed.to_owned(),
            Some(Phase::Failed { title, detail }) => {
                format!("{} — {detail}", fill(texts.status.failed, title))
            }
        }
    };
    let phase_class = move || match phase.get() {
        Some(Phase::Done { .. }) => "status done",
        Some(Phase::Failed { .. }) => "status failed",
        _ => "status",
    };
    // Only the key line's own facts: it is not drawn again for every attempt.
    let key = Memo::new(move |_| {
        state.operation.with(|op| {
            op.as_ref().and_then(|op| {
                let key = op.key.clone()?;
                Some((key, op.key_expires_at.clone(), op.resumed))
            })
        })
    });
    // After a 409 (while the operation still waits on it) or a 422, the next stop for the
    // keyboard is the page explaining it.
    let refusal = Memo::new(move |_| {
        state.operation.with(|op| {
            let op = op.as_ref()?;
            let done = matches!(op.phase, Phase::Done { .. });
            match op.attempts.last()?.explain {
                Explain::InFlight if !done => Some(Refusal::InFlight),
                Explain::Mismatch => Some(Refusal::KeyReused),
                _ => None,
            }
        })
    });
    view! {
        <div class=phase_class>
            <p aria-live="polite" role="status" data-testid="status">{status}</p>
            {move || refusal.get().map(|refusal| {
                let words = refusal.words(&state.texts().status);
                view! { <p><a href=refusal.page() target="_blank" data-testid="why">{words}</a></p> }
            })}
            {move || {
                key.get()
                    .map(|(key, expires, resumed)| {
                        let texts = state.texts();
                        view! {
                            <p class="key-line">
                                {texts.status.current_key}": "
                                <code data-testid="current-key" title=key.clone()>{key.clone()}</code>
                                {expires.map(|at| format!(" ({})", fill(texts.status.key_expires, at)))}
                            </p>
                            {resumed.then(|| view! {
                                <p class="banner" data-testid="resume-banner">{fill(texts.status.resuming, short_key(&key))}</p>
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
