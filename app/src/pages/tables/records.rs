//! The idempotency records the server keeps: each key's state, what it stored, and its expiry.

use leptos::prelude::*;

use super::snapshot::Snapshot;
use crate::api::{Backend, ExpireKeyRequest, Health, IdempotencyRecordView, RecordStateView};
use crate::browser::{http, storage};
use crate::i18n::{fill, use_lang, PanelText, PanelTexts};
use crate::lab::keys::short_key;
use crate::pages::widgets::{header_row, keyed_rows, scroll_region};

const RECORD_COLUMNS: [PanelText; 6] = [
    |t| t.timeline.col_key,
    |t| t.tables.col_state,
    |t| t.tables.col_fingerprint,
    |t| t.tables.col_stored,
    |t| t.tables.col_replays,
    |t| t.tables.col_expires,
];

/// Who counts as "mine": the learner's orders, and the key of the order on screen.
#[derive(Clone, Copy)]
struct Mine {
    shown: Memo<Snapshot>,
    learner: Memo<String>,
    screen_key: Memo<Option<String>>,
}

impl Mine {
    /// Whether the order `order_id` is one the learner placed.
    fn placed(self, order_id: &str) -> bool {
        self.learner.with(|learner| {
            self.shown.with(|s| {
                s.orders
                    .iter()
                    .any(|o| o.id == order_id && o.user_id == *learner)
            })
        })
    }

    /// A record is this learner's when it made one of their orders, or when it is the key of
    /// the order on screen (in flight, it has no order yet). Keys carry no user: only the
    /// orders do.
    fn holds(self, record: &IdempotencyRecordView) -> bool {
        record.order_id.as_deref().is_some_and(|id| self.placed(id))
            || self
                .screen_key
                .with(|key| key.as_deref() == Some(record.key.as_str()))
    }
}

/// `shown` carries the database and the expiry policy too, once `/health` has said.
#[component]
pub fn RecordsTable(
    shown: Memo<Snapshot>,
    learner: Memo<String>,
    screen_key: Memo<Option<String>>,
    only_mine: Memo<bool>,
    /// Whether the server answered the last fetch; `None` until the first answer.
    loaded: Memo<Option<bool>>,
) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().panel_texts();
    let health = Memo::new(move |_| shown.with(|s| s.health.clone()));
    let mine = Mine {
        shown,
        learner,
        screen_key,
    };
    let rows = Memo::new(move |_| {
        let all = shown.with(|s| s.records.clone());
        if !only_mine.get() {
            return all;
        }
        all.into_iter()
            .filter(|record| mine.holds(record))
            .collect()
    });
    let empty = move || match loaded.get().is_some() {
        true => texts().tables.records_empty,
        false => texts().tables.loading,
    };
    let row = move |record: IdempotencyRecordView, texts: &'static PanelTexts| {
        record_row(record, texts, mine)
    };
    view! {
        <h2 id="records-heading">{move || texts().tables.records}</h2>
        <p class="backend" data-testid="backend">
            {move || health.with(|health| match health.as_ref().map(|h| h.backend) {
                Some(Backend::Postgres) => texts().tables.kept_in_postgres,
                Some(Backend::Sqlite) => texts().tables.kept_in_sqlite,
                None => "",
            })}
        </p>
        <p class="hint" data-testid="expiry-policy">{move || expiry_policy(health, texts())}</p>
        <Show
            when=move || !rows.with(Vec::is_empty)
            fallback=move || view! { <p class="empty">{empty}</p> }
        >
            {scroll_region(|t| t.tables.records, view! {
                <table data-testid="records">
                    <caption class="sr-only">{move || texts().tables.records}</caption>
                    <thead>{header_row(&RECORD_COLUMNS)}</thead>
                    <tbody>{keyed_rows(rows, |record| &record.key, row)}</tbody>
                </table>
            })}
        </Show>
    }
}

fn record_row(
    record: IdempotencyRecordView,
    texts: &'static PanelTexts,
    mine: Mine,
) -> impl IntoView {
    let texts = &texts.tables;
    let (state_text, class) = match record.state {
        RecordStateView::InFlight => (texts.state_in_flight, "wait"),
        RecordStateView::Completed => (texts.state_completed, "ok"),
        RecordStateView::Expired => (texts.state_expired, "muted"),
    };
    view! {
        <tr class=class data-testid="record-row">
            <td class="mono" title=record.key.clone()>{short_key(&record.key)}</td>
            <td>{state_text}</td>
            <td class="mono">{record.fingerprint_prefix}</td>
            <td class="mono">{record.stored_status.map(|s| s.to_string())}</td>
            <td class="mono">{record.replay_count}</td>
            <td class="mono">
                {record.expires_at}
                // In flight, what counts first is when another request may take the key over.
                {(record.state == RecordStateView::InFlight)
                    .then(|| record.locked_until.map(|at| view! { <br/><small>{fill(texts.lease_until, at)}</small> }))}
                {(record.state == RecordStateView::Completed)
                    .then(|| record.order_id.map(|order| expire_button(record.key, order, mine)))}
            </td>
        </tr>
    }
}

/// The server's expiry policy in one sentence, from `/health`.
fn expiry_policy(health: Memo<Option<Health>>, texts: &'static PanelTexts) -> Option<String> {
    let texts = &texts.tables;
    health.with(|health| {
        let health = health.as_ref()?;
        let policy = [
            health.record_ttl_secs,
            health.lease_secs,
            health.issued_key_ttl_secs,
        ]
        .into_iter()
        .fold(texts.policy.to_string(), |text, secs| {
            fill(&text, duration(secs, texts.units))
        });
        Some(policy)
    })
}

/// 86400 → "24 h", 600 → "10 min", 45 → "45 s" (in English; `units` are the language's).
fn duration(secs: u64, [hours, minutes, seconds]: [&str; 3]) -> String {
    let (count, unit) = match secs {
        s if s >= 3600 && s % 3600 == 0 => (s / 3600, hours),
        s if s >= 60 && s % 60 == 0 => (s / 60, minutes),
        s => (s, seconds),
    };
    fill(unit, count)
}

/// Makes this learner's record expire now, as if its time were up: the next request with
/// the key is a new operation. Shown only on records of this learner's own orders (the server
/// would refuse another learner's).
fn expire_button(key: String, order_id: String, mine: Mine) -> impl IntoView {
    let lang = use_lang();
    let placed = move || mine.placed(&order_id);
    let expire = move |_| {
        let request = ExpireKeyRequest {
            user_id: storage::learner_id(),
            idempotency_key: key.clone(),
        };
        // The server announces the change; the tables fetch it then.
        leptos::task::spawn_local(async move {
            let _ = http::post_json("/lab/expire-key", &request).await;
        });
    };
    view! {
        <Show when=placed>
            " "
            <button
                type="button"
                class="link"
                data-testid="expire-now"
                title=move || lang.get().panel_texts().tables.expire_now_title
                on:click=expire.clone()
            >{move || lang.get().panel_texts().tables.expire_now}</button>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::duration;
    use crate::i18n::Lang;

    #[test]
    fn durations_read_in_the_page_language() {
        let [en, ja] = [Lang::En, Lang::Ja].map(|lang| lang.panel_texts().tables.units);
        let cases = [
            (86_400, en, "24 h"),
            (600, en, "10 min"),
            (30, en, "30 s"),
            (90, en, "90 s"),
            (86_400, ja, "24 時間"),
            (600, ja, "10 分"),
            (30, ja, "30 秒"),
        ];
        for (secs, units, shown) in cases {
            assert_eq!(duration(secs, units), shown);
        }
    }
}
