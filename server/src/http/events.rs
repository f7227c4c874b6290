//! `GET /events`: Server-Sent Events saying that a learner's orders or idempotency records
//! changed, so the page's tables fetch them at once instead of polling. Each event is a
//! `tables-changed` with `{"userId": …}` (`null`: possibly anyone's). It says only that
//! something changed, never what: the tables are always read from the database, so a page
//! that misses an announcement loses nothing but a moment.

use std::convert::Infallible;

use app::api::{TablesChanged, TABLES_CHANGED_EVENT};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::extract::EventsQuery;
use crate::state::AppState;
use crate::storage::Change;

/// `GET /events?userId=`: every change, or only this learner's (and those that may be
/// anyone's). Endless; it ends when the server stops.
#[utoipa::path(
    get,
    path = "/events",
    tag = "service",
    params(EventsQuery),
    responses((
        status = 200,
        description = "An endless stream (`text/event-stream`) of `tables-changed` events, each \
            with `{\"userId\": …}`: whose orders or idempotency records changed, or `null` when \
            it may be anyone's. Only that something changed, never what: read the tables again. \
            It ends when the server stops.",
        content_type = "text/event-stream",
        body = TablesChanged
    ))
)]
pub async fn stream(
    State(state): State<AppState>,
    query: EventsQuery,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let changes = stream::unfold(state.storage.changes(), |mut changes| async move {
        let change = match changes.recv().await {
            Ok(change) => change,
            // This listener fell behind and missed some: anything may have changed.
            Err(RecvError::Lagged(_)) => Change::anyone(),
            Err(RecvError::Closed) => return None,
        };
        Some((change, changes))
    });
    let announcements = changes
        .filter(move |change| std::future::ready(query.wants(change.user_id.as_deref())))
        .map(|change| Ok(announcement(change)))
        .take_until(state.stopping.clone().cancelled_owned());
    Sse::new(announcements).keep_alive(KeepAlive::default())
}

fn announcement(change: Change) -> Event {
    let changed = TablesChanged {
        user_id: change.user_id,
    };
    let event = Event::default().event(TABLES_CHANGED_EVENT);
    // Serialising a struct of one optional string cannot fail; were it to, an empty
    // announcement still says "something changed".
    event.clone().json_data(changed).unwrap_or(event)
}
