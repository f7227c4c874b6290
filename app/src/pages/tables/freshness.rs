//! Keeping the tables fresh: fetched again at once when the server announces a change that
//! concerns them, and polled only while the announcements cannot arrive.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::snapshot::Snapshot;
use crate::api::TablesChanged;
use crate::browser::http::HttpError;
use crate::browser::{events, time};

/// While the stream of announcements is down, the tables are fetched this often: other tabs,
/// other server processes and the purge change them too.
const POLL_MS: u32 = 2000;
/// Announcements that come close together (a storm of retries) make one fetch.
const GATHER_MS: u32 = 50;

pub fn keep_fresh(
    tables: LocalResource<Result<Snapshot, HttpError>>,
    only_mine: Memo<bool>,
    learner: Memo<String>,
) {
    let streaming = RwSignal::new(false);
    let fetch_due = StoredValue::new(false);
    let fetch_soon = move || {
        if fetch_due.get_value() {
            return;
        }
        fetch_due.set_value(true);
        spawn_local(async move {
            time::sleep_ms(GATHER_MS).await;
            fetch_due.set_value(false);
            tables.refetch();
        });
    };
    let concerns = move |changed: &TablesChanged| match &changed.user_id {
        Some(user) => !only_mine.get_untracked() || learner.with_untracked(|me| me == user),
        None => true,
    };
    // Another learner's changes were passed over while only the learner's own were shown.
    Effect::new(move |shown_only_mine: Option<bool>| {
        let only = only_mine.get();
        if shown_only_mine == Some(true) && !only {
            fetch_soon();
        }
        only
    });
    // Reads nothing tracked: runs once, in the browser.
    Effect::new(move |_| {
        events::listen(
            move |changed| {
                if concerns(&changed) {
                    fetch_soon();
                }
            },
            move |open| {
                streaming.set(open);
                // Whatever changed while the stream was down.
                if open {
                    fetch_soon();
                }
            },
        );
        spawn_local(async move {
            loop {
                time::sleep_ms(POLL_MS).await;
                if !streaming.get_untracked() {
                    tables.refetch();
                }
            }
        });
    });
}
