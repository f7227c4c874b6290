//! Step 5: this page's own retry loop as short code (the policy of `lab::retry`, not the
//! chapter's code), with a switch that moves the key's creation into the loop.

use leptos::prelude::*;

use crate::i18n::{lesson, use_lang};

#[component]
pub fn RetryCode(key_inside_loop: RwSignal<bool>, live: ReadSignal<bool>) -> impl IntoView {
    let lang = use_lang();
    let t = move || &lesson::texts(lang.get()).code;
    let code = move || {
        let c = t();
        if key_inside_loop.get() {
            format!(
                "loop {{\n    let key = new_key();           // {inside}\n    match send(&key, &order).await {{\n        Ok(201)        => return Done,\n        Ok(409)        => sleep(retry_after).await,\n        Ok(400..=499)  => return Refused,   // {refusal}\n        Ok(_) | Err(_) => sleep(backoff(n) + jitter()).await,\n    }}\n}}",
                inside = c.comment_inside,
                refusal = c.comment_refusal,
            )
        } else {
            format!(
                "let key = new_key();               // {once}\nsave_pending(&key, &order);        // {saved}\nloop {{\n    match send(&key, &order).await {{\n        Ok(201)        => return Done,\n        Ok(409)        => sleep(retry_after).await,\n        Ok(400..=499)  => return Refused,   // {refusal}\n        Ok(_) | Err(_) => sleep(backoff(n) + jitter()).await,\n    }}\n}}",
                once = c.comment_once,
                saved = c.comment_saved,
                refusal = c.comment_refusal,
            )
        }
    };
    view! {
        <figure class="retry-code">
            <figcaption>{move || t().heading}</figcaption>
            <label class="check">
                <input
                    type="checkbox"
                    data-testid="key-inside-loop"
                    prop:checked=move || key_inside_loop.get()
                    disabled=move || !live.get()
                    on:change=move |ev| key_inside_loop.set(event_target_checked(&ev))
                />
                <span>{move || t().key_inside}</span>
            </label>
            // Long lines scroll sideways in a narrow column; the focus lets a keyboard scroll.
            <pre data-testid="retry-code" tabindex="0" role="region" aria-label=move || t().heading><code>{code}</code></pre>
        </figure>
        <details class="naive">
            <summary>{move || t().naive}</summary>
            <ul>
                <li>{move || t().naive_4xx}</li>
                <li>{move || t().naive_retry_after}</li>
                <li>{move || t().naive_jitter}</li>
            </ul>
        </details>
    }
}
