//! The order in progress: what the form says, the operation it became, and what the page is
//! doing about it right now — one handle, created by the page that shows the order panel.

use leptos::prelude::*;

use super::attempt::{Activity, AttemptLog};
use super::operation::Operation;
use super::preferences::Preferences;
use crate::api::{CreateOrderRequest, OrderItem};

/// The form the page starts with.
pub fn default_draft(user_id: &str) -> CreateOrderRequest {
    CreateOrderRequest {
        user_id: user_id.into(),
        items: vec![OrderItem {
            sku: "BOOK-11".into(),
            qty: 1,
        }],
    }
}

/// The form's draft, the current operation (its key, attempts and phase, saved before each
/// request leaves) and the page's activity. The order panel's buttons (`start`, `send_again`,
/// `abandon`, and `resume` after a reload) are methods too, written in `driver.rs` beside the
/// retry loop they drive.
#[derive(Clone, Copy)]
pub struct OrderInProgress {
    pub(super) draft: RwSignal<CreateOrderRequest>,
    pub(super) operation: RwSignal<Option<Operation>>,
    pub(super) activity: RwSignal<Activity>,
    /// Bumped whenever an operation starts or is abandoned, so an old retry loop stops.
    pub(super) generation: RwSignal<u64>,
    /// The switches the retry loop obeys.
    pub(super) prefs: Preferences,
    /// Whether the server answered the last time the page asked: the banner says so.
    pub(super) reachable: RwSignal<bool>,
}

impl OrderInProgress {
    pub fn new(prefs: Preferences, reachable: RwSignal<bool>) -> Self {
        Self {
            draft: RwSignal::new(default_draft("learner")),
            operation: RwSignal::new(None),
            activity: RwSignal::new(Activity::Idle),
            generation: RwSignal::new(0),
            prefs,
            reachable,
        }
    }

    pub fn draft(self) -> ReadSignal<CreateOrderRequest> {
        self.draft.read_only()
    }

    pub fn edit_draft(self, edit: impl FnOnce(&mut CreateOrderRequest)) {
        self.draft.update(edit);
    }

    pub fn set_draft(self, draft: CreateOrderRequest) {
        self.draft.set(draft);
    }

    /// Who the form orders for: the learner, as far as the tables can tell.
    pub fn learner(self) -> Memo<String> {
        Memo::new(move |_| self.draft.with(|d| d.user_id.clone()))
    }

    pub fn activity(self) -> ReadSignal<Activity> {
        self.activity.read_only()
    }

    /// Reads the current operation (tracked), without copying its attempts.
    pub fn with_operation<R>(self, read: impl FnOnce(Option<&Operation>) -> R) -> R {
        self.operation.with(|op| read(op.as_ref()))
    }

    pub fn operation_untracked(self) -> Option<Operation> {
        self.operation.get_untracked()
    }

    /// The operation's attempts, passed on only when they change.
    pub fn attempts(self) -> Memo<Vec<AttemptLog>> {
        Memo::new(move |_| {
            self.with_operation(|op| op.map(|op| op.attempts.clone()))
                .unwrap_or_default()
        })
    }

    /// A fact about the operation, passed on only when it changes.
    pub fn watch<T: PartialEq + Send + Sync + 'static>(
        self,
        read: impl Fn(Option<&Operation>) -> T + Send + Sync + 'static,
    ) -> Memo<T> {
        Memo::new(move |_| self.with_operation(&read))
    }

    pub fn is_pending_untracked(self) -> bool {
        self.operation
            .with_untracked(|op| op.as_ref().is_some_and(Operation::is_pending))
    }

    /// The form's draft differs from the body the operation sends: the next click starts a
    /// new operation.
    pub fn edited(self) -> Memo<bool> {
        Memo::new(move |_| {
            self.operation.with(|op| {
                op.as_ref()
                    .is_some_and(|op| self.draft.with(|draft| op.body != *draft))
            })
        })
    }
}
