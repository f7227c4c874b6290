//! Which steps the learner has done, kept in localStorage across visits. Read only once the
//! page is live, so the server-rendered page and its hydration agree (no ticks on either).

use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;

use super::STEPS;

const PROGRESS_KEY: &str = "idem-lab.lesson-progress";

#[derive(Clone, Copy)]
pub struct Progress(RwSignal<[bool; STEPS]>);

impl Progress {
    /// The lesson's progress for this page, loaded from the browser after hydration.
    pub fn provide() -> Self {
        if let Some(progress) = use_context::<Progress>() {
            return progress;
        }
        let progress = Progress(RwSignal::new([false; STEPS]));
        provide_context(progress);
        Effect::new(move |_| {
            if let Ok(done) = LocalStorage::get::<[bool; STEPS]>(PROGRESS_KEY) {
                progress.0.set(done);
            }
        });
        progress
    }

    pub fn expect() -> Self {
        expect_context()
    }

    pub fn is_done(self, step: usize) -> bool {
        self.0.with(|done| done[step - 1])
    }

    pub fn mark_done(self, step: usize) {
        self.0.update(|done| done[step - 1] = true);
        let _ = LocalStorage::set(PROGRESS_KEY, self.0.get_untracked());
    }

    /// The first step not done yet, once the learner has done at least one.
    pub fn resume_at(self) -> Option<usize> {
        self.0.with(|done| {
            let started = done.iter().any(|d| *d);
            let next = done.iter().position(|d| !d).map(|i| i + 1);
            next.filter(|_| started)
        })
    }
}
