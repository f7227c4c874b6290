//! The learner's preferences: their switches, kept in localStorage across visits.

use leptos::prelude::*;

use super::settings::Settings;
use crate::browser::storage;

/// The switches, as one handle: panels that change a switch take it; panels that only read
/// take `signal()`. Every change is saved at once, so another tab and the next visit agree.
#[derive(Clone, Copy)]
pub struct Preferences {
    settings: RwSignal<Settings>,
}

impl Preferences {
    /// The defaults: what the server renders, and what a first visit starts with.
    pub fn new() -> Self {
        Self {
            settings: RwSignal::new(Settings::default()),
        }
    }

    /// Takes the saved switches, once the page is live; a first visit saves the defaults, so
    /// every tab of the site reads the same switches from then on.
    pub fn load_saved(self) {
        match storage::load_settings() {
            Some(saved) => self.settings.set(saved),
            None => storage::save_settings(&self.settings.get_untracked()),
        }
    }

    pub fn signal(self) -> ReadSignal<Settings> {
        self.settings.read_only()
    }

    /// Reads the switches (tracked).
    pub fn with<R>(self, read: impl FnOnce(&Settings) -> R) -> R {
        self.settings.with(read)
    }

    pub fn get_untracked(self) -> Settings {
        self.settings.get_untracked()
    }

    /// Changes the switches and saves them.
    pub fn update(self, change: impl FnOnce(&mut Settings)) {
        self.settings.update(change);
        storage::save_settings(&self.settings.get_untracked());
    }

    pub fn set(self, settings: Settings) {
        self.update(|s| *s = settings);
    }
}

impl Default for Preferences {
    fn default() -> Self {
        Self::new()
    }
}
