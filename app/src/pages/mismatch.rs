//! A 422, side by side: the body the key was first used for, and the one just refused.

use leptos::prelude::*;

use crate::api::CreateOrderRequest;
use crate::i18n::use_lang;
use crate::lab::operation::summarize;
use crate::lab::order::OrderInProgress;

/// On a 422: the body the key was first used for, beside the one just refused.
#[component]
pub fn MismatchView(order: OrderInProgress) -> impl IntoView {
    let lang = use_lang();
    let conflict =
        order.watch(|op| op.and_then(|op| Some((op.conflict.clone()?, op.body.clone()))));
    move || {
        conflict
            .get()
            .map(|(first, now): (CreateOrderRequest, CreateOrderRequest)| {
                let texts = lang.get().panel_texts();
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
