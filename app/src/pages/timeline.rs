//! Every attempt of the current operation: what was sent, with which key, and what came back.

use leptos::prelude::*;

use super::widgets::{header_row, keyed_rows, scroll_region};
use crate::api::LeaseNote;
use crate::browser::document::copy_to_clipboard;
use crate::i18n::{use_lang, PanelText, StatusTexts, TimelineTexts};
use crate::lab::attempt::{AttemptKind, AttemptLog, Exchange, Explain};
use crate::lab::keys::short_key;

const COLUMNS: [PanelText; 8] = [
    |_| "#",
    |t| t.timeline.col_time,
    |t| t.timeline.col_key,
    |t| t.timeline.col_sent,
    |t| t.timeline.col_status,
    |t| t.timeline.col_replayed,
    |t| t.timeline.col_latency,
    |t| t.timeline.col_what,
];

/// The operation's attempts, one row each.
#[component]
pub fn Timeline(attempts: Memo<Vec<AttemptLog>>) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().panel_texts();
    view! {
        <h2 id="attempts-heading">{move || texts().timeline.heading}</h2>
        <Show
            when=move || attempts.with(|a| !a.is_empty())
            fallback=move || view! { <p class="empty">{texts().timeline.empty}</p> }
        >
            {scroll_region(|t| t.timeline.heading, view! {
                <table class="timeline" data-testid="timeline">
                    <caption class="sr-only">{move || texts().timeline.heading}</caption>
                    <thead>{header_row(&COLUMNS)}</thead>
                    <tbody>
                        {keyed_rows(attempts, |a| &a.id, |a, t| row(a, &t.timeline))}
                    </tbody>
                </table>
            })}
        </Show>
    }
}

fn row(attempt: AttemptLog, texts: &'static TimelineTexts) -> impl IntoView {
    let status_texts = &use_lang().get_untracked().texts().status;
    let status = match (attempt.status, &attempt.explain) {
        (Some(status), _) => status.to_string(),
        (None, Explain::Sending) => "…".into(),
        (None, _) => "—".into(),
    };
    let kind = match attempt.kind {
        AttemptKind::Order => None,
        AttemptKind::ExtraClick => Some(texts.extra_click),
        AttemptKind::Prepare => Some(texts.prepare_call),
    };
    let class = match &attempt.explain {
        Explain::Created | Explain::CreatedAgain => "ok",
        Explain::Replayed | Explain::Prepared => "replay",
        Explain::InFlight | Explain::Sending | Explain::KeyExpired => "wait",
        _ => "bad",
    };
    let key = attempt.key.clone().unwrap_or_default();
    let status_attr = status.clone();
    view! {
        <tr class=class data-testid="attempt" data-status=status_attr>
            <td>{attempt.id}</td>
            <td class="mono">{attempt.at}</td>
            <td class="mono" title=key.clone()>{short_key(&key)}</td>
            <td>{kind.map(|k| view! { <span class="tag">{k}</span>" " })}{attempt.sent}</td>
            <td class="mono">{status}</td>
            <td>{if attempt.replayed { texts.yes } else { texts.no }}</td>
            <td class="mono">{attempt.latency_ms.map(|ms| format!("{ms} ms"))}</td>
            <td>
                {explain(&attempt.explain, texts, status_texts)}
                {attempt.lease.map(|note| view! { <small class="lease-note" data-testid="lease-note">{lease_note(note, texts)}</small> })}
                {attempt.server_says.map(|words| view! { <small class="server-says">{words}</small> })}
                {attempt.exchange.map(|exchange| raw_http(exchange, texts))}
            </td>
        </tr>
    }
}

/// The request and response as raw HTTP, and a curl command to send the request again.
fn raw_http(exchange: Exchange, texts: &'static TimelineTexts) -> impl IntoView {
    let curl = exchange.curl.clone();
    view! {
        <details class="raw">
            <summary>{texts.raw_http}</summary>
            <pre data-testid="raw-request">{exchange.request}</pre>
            <pre data-testid="raw-response">{exchange.response.unwrap_or_else(|| texts.no_response.to_owned())}</pre>
            <div class="curl">
                <code data-testid="curl">{exchange.curl}</code>
                <button type="button" class="link" on:click=move |_| copy_to_clipboard(&curl)>{texts.copy}</button>
            </div>
        </details>
    }
}

fn lease_note(note: LeaseNote, texts: &'static TimelineTexts) -> &'static str {
    match note {
        LeaseNote::OutlivedCommitted => texts.lease_outlived_committed,
        LeaseNote::OutlivedFenced => texts.lease_outlived_fenced,
    }
}

fn explain(
    explain: &Explain,
    texts: &'static TimelineTexts,
    status: &'static StatusTexts,
) -> String {
    match explain {
        Explain::Sending => String::new(),
        Explain::Created => texts.explain_created.into(),
        Explain::CreatedAgain => texts.explain_created_again.into(),
        Explain::Replayed => texts.explain_replayed.into(),
        Explain::InFlight => texts.explain_in_flight.into(),
        Explain::Mismatch => texts.explain_mismatch.into(),
        // The browser's own error text is English whatever the page's language, and says no
        // more than this does.
        Explain::Network(_) => status.explain_network.into(),
        Explain::Prepared => texts.explain_prepared.into(),
        Explain::KeyExpired => texts.explain_key_expired.into(),
        Explain::Problem { .. } => String::new(),
        Explain::Interrupted => texts.explain_interrupted.into(),
    }
}
