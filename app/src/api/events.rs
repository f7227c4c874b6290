//! `GET /events`: the server's announcements that orders or idempotency records changed.

use serde::{Deserialize, Serialize};

/// Where the page listens: Server-Sent Events.
pub const EVENTS_PATH: &str = "/events";
/// The name of the event sent when a learner's orders or records changed.
pub const TABLES_CHANGED_EVENT: &str = "tables-changed";

/// The data of a `tables-changed` event: whose orders or records changed; `None` when it may
/// be anyone's (the purge of expired records, the operator's wipe). It carries nothing of the
/// tables themselves, so a page that missed one loses nothing but a moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TablesChanged {
    pub user_id: Option<String>,
}
