//! Change announcements: after a write that changed orders or idempotency records has
//! committed, whoever shows those tables (the page's live view) hears whose they were, and
//! reads them again. An announcement says only that something changed, never what: the
//! tables are always read from the database.

use tokio::sync::broadcast;

/// "These orders or records changed": one learner's, or possibly anyone's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The learner whose orders or records changed; `None`: possibly anyone's (the purge,
    /// the operator's wipe, or announcements that may have been missed).
    pub user_id: Option<String>,
}

impl Change {
    pub fn learner(user_id: &str) -> Self {
        Self {
            user_id: Some(user_id.to_owned()),
        }
    }

    pub fn anyone() -> Self {
        Self { user_id: None }
    }
}

/// How many announcements a listener may fall behind before it misses some (and hears
/// `Lagged`, which means "anything may have changed").
const BACKLOG: usize = 256;

/// Where a back end announces changes, and where listeners subscribe. Announcing never waits
/// and never fails: a full channel drops the oldest, and nobody listening is fine.
#[derive(Clone)]
pub(super) struct Changes(broadcast::Sender<Change>);

impl Changes {
    pub(super) fn new() -> Self {
        Self(broadcast::channel(BACKLOG).0)
    }

    pub(super) fn announce(&self, change: Change) {
        // An error only says that nobody is listening right now.
        let _ = self.0.send(change);
    }

    pub(super) fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.0.subscribe()
    }
}
