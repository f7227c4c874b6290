//! Which steps the learner has done, kept in localStorage across visits. Read only once the
//! page is live, so the server-rendered page and its hydration agree (no ticks on either).

use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;

use crate::step::Step;

const PROGRESS_KEY: &str = "idem-lab.lesson-progress";

#[derive(Clone, Copy)]
pub struct Progress(RwSignal<[bool; Step::ALL.len()]>);

impl Progress {
    /// The lesson's progress, loaded from the browser once the page is live.
    pub fn load() -> Self {
        let progress = Progress(RwSignal::new([false; Step::ALL.len()]));
        Effect::new(move |_| {
            if let Ok(done) = LocalStorage::get(PROGRESS_KEY) {
                progress.0.set(done);
            }
        });
        progress
    }

    pub fn is_done(self, step: Step) -> bool {
        self.0.with(|done| done[step.number() - 1])
    }

    pub fn mark_done(self, step: Step) {
        self.0.update(|done| done[step.number() - 1] = true);
        let _ = LocalStorage::set(PROGRESS_KEY, self.0.get_untracked());
    }

    /// The first step not done yet, once the learner has done at least one.
    pub fn resume_at(self) -> Option<Step> {
        self.0.with(|done| {
            let started = done.iter().any(|d| *d);
            let next = done
                .iter()
                .position(|d| !d)
                .and_then(|i| Step::from_number(i + 1));
            next.filter(|_| started)
        })
    }
}
