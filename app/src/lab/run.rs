//! One run of the retry loop over the current operation. Starting or abandoning an operation
//! begins a new run, so a loop still going for an older one notices and touches nothing.

use leptos::prelude::*;

use super::attempt::{Activity, AttemptKind, Explain, Phase};
use super::operation::Operation;
use super::order::OrderInProgress;
use crate::browser::http::Answer;
use crate::browser::{storage, time};

#[derive(Clone, Copy)]
pub struct Run {
    pub order: OrderInProgress,
    generation: u64,
}

impl Run {
    /// Makes `operation` the current one (saved at once) and ends any earlier run.
    pub fn begin(order: OrderInProgress, operation: Option<Operation>) -> Self {
        order.generation.update(|g| *g += 1);
        storage::save_operation(operation.as_ref());
        order.operation.set(operation);
        order.activity.set(Activity::Idle);
        Self::ongoing(order)
    }

    /// The run going now, for one more attempt beside its loop.
    pub fn ongoing(order: OrderInProgress) -> Self {
        Self {
            order,
            generation: order.generation.get_untracked(),
        }
    }

    pub fn is_current(self) -> bool {
        self.order.generation.get_untracked() == self.generation
    }

    /// The operation, while this run is still the current one.
    pub fn current(self) -> Option<Operation> {
        self.read(Operation::clone)
    }

    /// Reads the operation in place (it carries every attempt's raw HTTP, so a copy is not
    /// free), while this run is still the current one.
    pub fn read<R>(self, read: impl FnOnce(&Operation) -> R) -> Option<R> {
        if !self.is_current() {
            return None;
        }
        self.order
            .operation
            .with_untracked(|op| op.as_ref().map(read))
    }

    /// Changes the operation (if this run is still the current one) and saves it at once.
    pub fn update<R>(self, change: impl FnOnce(&mut Operation) -> R) -> Option<R> {
        if !self.is_current() {
            return None;
        }
        let mut result = None;
        self.order
            .operation
            .update(|op| result = op.as_mut().map(change));
        self.order
            .operation
            .with_untracked(|op| storage::save_operation(op.as_ref()));
        result
    }

    pub fn set_activity(self, activity: Activity) {
        self.order.activity.set(activity);
    }

    /// Says whether the server answered, for the banner.
    pub fn server_answered(self, answered: bool) {
        self.order.reachable.set(answered);
    }

    /// Adds an attempt to the timeline (and to storage) before its request leaves.
    pub fn push_attempt(
        self,
        kind: AttemptKind,
        key: Option<String>,
        sent: String,
        delay_ms: u32,
    ) -> u32 {
        self.update(|op| op.push_attempt(kind, time::clock(), key, sent, delay_ms))
            .unwrap_or(0)
    }

    /// Records how an attempt ended; any answer at all shows the server is reachable.
    pub fn settle_attempt(
        self,
        id: u32,
        answer: Option<&Answer>,
        latency_ms: u32,
        explain: Explain,
    ) {
        if answer.is_some() {
            self.server_answered(true);
        }
        self.update(|op| op.settle_attempt(id, answer, latency_ms, explain));
    }

    pub fn finish(self, phase: Phase) {
        self.update(|op| op.finish(phase));
    }

    /// Waits `ms`, counting down in whole seconds for the status line; stops early if the run ends.
    pub async fn wait(self, ms: u32) {
        let mut left = ms;
        while left > 0 && self.is_current() {
            self.set_activity(Activity::Waiting {
                seconds: left.div_ceil(1000),
            });
            let step = match left % 1000 {
                0 => 1000,
                part => part,
            };
            time::sleep_ms(step).await;
            left -= step;
        }
    }
}
