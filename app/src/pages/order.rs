//! The order form and its buttons: the first thing a learner touches.

use leptos::prelude::*;

use super::status::StatusLine;
use crate::api::{OrderItem, MAX_ITEMS, MAX_QTY};
use crate::browser::storage;
use crate::i18n::use_lang;
use crate::lab::operation::Operation;
use crate::lab::order::OrderInProgress;
use crate::lab::settings::Settings;

/// The form and its buttons, for the page's order in progress. `prefs` are the switches it
/// obeys; `reachable` whether the server answers (then abandoning is worth a word).
#[component]
pub fn OrderPanel(
    order: OrderInProgress,
    prefs: ReadSignal<Settings>,
    live: ReadSignal<bool>,
    reachable: ReadSignal<bool>,
) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let pending = order.watch(|op| op.is_some_and(Operation::is_pending));
    let finished = order.watch(|op| op.is_some_and(|op| !op.is_pending()));
    // Editing the form after an operation began makes the next click a new operation.
    let edited = order.edited();
    let primary_disabled = move || {
        let wait = prefs.with(|s| s.disable_while_pending);
        !live.get() || (pending.get() && !edited.get() && wait) || (finished.get() && !edited.get())
    };
    // Accident 2 keeps one key per user: an edited order is then *not* a new key.
    let user_key = Memo::new(move |_| prefs.with(Settings::reuses_user_key));
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
        if pending.get_untracked() && !edited.get_untracked() {
            order.send_again();
        } else {
            order.start();
        }
    };

    view! {
        <fieldset class="order">
            <legend id="order-heading">{move || texts().order.heading}</legend>
            <OrderForm order live/>
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
                    <button type="button" data-testid="send-again" node_ref=send_again_button on:click=move |_| order.send_again()>
                        {move || texts().order.send_again}
                    </button>
                    <button type="button" data-testid="new-order" on:click=move |_| order.abandon()>
                        {move || texts().order.new_order}
                    </button>
                </Show>
                <Show when=move || pending.get()>
                    <button type="button" class="danger" data-testid="abandon" on:click=move |_| order.abandon()>
                        {move || texts().order.abandon}
                    </button>
                </Show>
            </div>
            <Show when=move || edited.get()>
                <p class="note" data-testid="edited-note">
                    {move || if user_key.get() { texts().order.edited_note_user_key } else { texts().order.edited_note }}
                </p>
            </Show>
            <Show when=move || pending.get() && !reachable.get()>
                <p class="note">{move || texts().order.abandon_note}</p>
            </Show>
            <StatusLine order prefs/>
        </fieldset>
    }
}

#[component]
fn OrderForm(order: OrderInProgress, live: ReadSignal<bool>) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let draft = order.draft();
    let items = move || draft.get().items;
    let disabled = move || !live.get();
    let set_item = move |index: usize, edit: Box<dyn FnOnce(&mut OrderItem)>| {
        order.edit_draft(|d| {
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
                prop:value=move || draft.get().user_id
                disabled=disabled
                on:input=move |ev| {
                    let user = event_target_value(&ev);
                    storage::save_learner_id(&user);
                    order.edit_draft(|d| d.user_id = user);
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
                                            on:click=move |_| order.edit_draft(|d| { d.items.remove(index); })
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
            on:click=move |_| order.edit_draft(|d| d.items.push(OrderItem { sku: "PEN-2".into(), qty: 1 }))
        >{move || texts().order.add_item}</button>
    }
}
