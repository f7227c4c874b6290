//! A sequence diagram of the current operation, drawn from its real attempts: who sent which
//! key, what the server looked up or stored, and what came back. It can be stepped through.

use leptos::prelude::*;

use super::widgets::scroll_region;
use crate::i18n::{use_lang, SequenceTexts};
use crate::lab::attempt::{AttemptKind, AttemptLog, Explain};
use crate::lab::keys::short_key;

const LANE_X: [f64; 3] = [70.0, 330.0, 590.0];
const WIDTH: f64 = 660.0;
const ROW: f64 = 34.0;
const TOP: f64 = 46.0;

/// One arrow between two lanes.
struct Message {
    from: usize,
    to: usize,
    label: String,
    style: &'static str,
}

#[component]
pub fn SequenceDiagram(attempts: Memo<Vec<AttemptLog>>) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().panel_texts();
    // How many attempts to show; None shows them all (and follows new ones).
    let step = RwSignal::new(None::<usize>);
    let total = move || attempts.with(Vec::len);
    let shown = move || step.get().unwrap_or(total()).min(total());

    view! {
        <h2>{move || texts().sequence.heading}</h2>
        <p class="hint">{move || texts().sequence.hint}</p>
        <Show
            when=move || { total() > 0 }
            fallback=move || view! { <p class="empty">{texts().timeline.empty}</p> }
        >
            <div class="stepper">
                <button type="button" data-testid="step-back"
                    disabled=move || shown() <= 1
                    on:click=move |_| step.set(Some(shown().saturating_sub(1).max(1)))
                >{move || texts().sequence.step_back}</button>
                <span data-testid="step-label">{move || format!("{} / {}", shown(), total())}</span>
                <button type="button" data-testid="step-forward"
                    disabled=move || { shown() >= total() }
                    on:click=move |_| step.set(Some(shown() + 1))
                >{move || texts().sequence.step_forward}</button>
                <button type="button" class="link" on:click=move |_| step.set(None)>{move || texts().sequence.step_all}</button>
            </div>
            {move || attempts.with(|all| diagram(&all[..shown()], &texts().sequence))}
        </Show>
    }
}

fn diagram(attempts: &[AttemptLog], texts: &'static SequenceTexts) -> impl IntoView {
    let messages: Vec<(u32, Message)> = attempts
        .iter()
        .flat_map(|attempt| {
            messages_for(attempt, texts)
                .into_iter()
                .map(move |m| (attempt.id, m))
        })
        .collect();
    let height = TOP + ROW * messages.len() as f64 + 20.0;
    let lanes = [texts.lane_client, texts.lane_server, texts.lane_database];
    // The drawing's text equivalent, for screen readers: the same arrows as sentences.
    let as_text: Vec<String> = messages
        .iter()
        .map(|(attempt, m)| {
            format!(
                "#{attempt} {} → {}: {}",
                lanes[m.from], lanes[m.to], m.label
            )
        })
        .collect();
    view! {
        <ol class="sr-only" aria-label=texts.as_list data-testid="sequence-text">
            {as_text.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
        </ol>
        {scroll_region(|t| t.sequence.heading, view! {
            <svg
                class="sequence"
                data-testid="sequence"
                role="img"
                aria-label=texts.heading
                viewBox=format!("0 0 {WIDTH} {height}")
                width=WIDTH
                height=height
            >
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead"/>
                    </marker>
                </defs>
                {lanes.iter().enumerate().map(|(i, name)| view! {
                    <g class="lane">
                        <text x=LANE_X[i] y="18" text-anchor="middle" class="lane-name">{*name}</text>
                        <line x1=LANE_X[i] y1="26" x2=LANE_X[i] y2=height - 6.0/>
                    </g>
                }).collect_view()}
                {messages.into_iter().enumerate().map(|(row, (attempt, message))| {
                    let y = TOP + ROW * row as f64;
                    let (x1, x2) = (LANE_X[message.from], LANE_X[message.to]);
                    let label_x = (x1 + x2) / 2.0;
                    let end = if message.style == "lost" { x1 + (x2 - x1) * 0.55 } else { x2 };
                    view! {
                        <g class=format!("message {}", message.style) data-testid="message">
                            <text x=4 y=y + 4.0 class="attempt-no">{format!("#{attempt}")}</text>
                            <line x1=x1 y1=y x2=end y2=y marker-end="url(#arrow)"/>
                            <text x=label_x y=y - 6.0 text-anchor="middle">{message.label}</text>
                        </g>
                    }
                }).collect_view()}
            </svg>
        })}
    }
}

fn messages_for(attempt: &AttemptLog, texts: &'static SequenceTexts) -> Vec<Message> {
    let (client, server, db) = (0, 1, 2);
    let key = attempt.key.as_deref().map(short_key).unwrap_or_default();
    let msg = |from, to, label: String, style| Message {
        from,
        to,
        label,
        style,
    };
    let request = match attempt.kind {
        AttemptKind::Prepare => msg(client, server, "POST /orders/prepare".into(), "request"),
        _ => msg(
            client,
            server,
            format!("POST /orders  key {key}"),
            "request",
        ),
    };
    let status = attempt.status.map(|s| s.to_string()).unwrap_or_default();
    let mut messages = vec![request];
    // Server to database, and the server's answer to the client.
    let to_db = |label: &str, style| msg(server, db, label.into(), style);
    let answer = |label: &str, style| msg(server, client, format!("{status} {label}"), style);
    match &attempt.explain {
        Explain::Sending => messages.push(to_db(texts.working, "pending")),
        Explain::Created | Explain::CreatedAgain => {
            if attempt.delay_ms == 0 {
                // Nothing to wait for: the server claims and commits in one transaction.
                messages.push(to_db(texts.at_once, "store"));
            } else {
                messages.push(to_db(texts.claim, "store"));
                messages.push(to_db(texts.commit, "store"));
            }
            messages.push(answer(texts.created, "ok"));
        }
        Explain::Replayed => {
            messages.push(to_db(texts.lookup_done, "lookup"));
            messages.push(answer("Idempotent-Replayed: true", "replay"));
        }
        Explain::InFlight => {
            messages.push(to_db(texts.lookup_busy, "lookup"));
            messages.push(answer("Retry-After", "wait"));
        }
        Explain::Mismatch => {
            messages.push(to_db(texts.lookup_other, "lookup"));
            messages.push(answer(texts.refused, "bad"));
        }
        Explain::Prepared => messages.push(answer(texts.issued, "ok")),
        Explain::Network(_) | Explain::Interrupted => {
            messages.push(msg(server, client, texts.lost.into(), "lost"));
        }
        Explain::KeyExpired | Explain::Problem { .. } => {
            messages.push(msg(server, client, status, "bad"));
        }
    }
    messages
}
