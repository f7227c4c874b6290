//! Ready-made sets of switches, one per lesson; `?scenario=<name>` opens the sandbox with one.
//! Only names and switches here: the panel that offers them brings their words.

use super::settings::{KeyMode, Settings};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    ClickStorm,
    Reload,
    LostResponse,
    NewKeyEveryRetry,
    ReusedKey,
    PrepareFails,
}

impl Scenario {
    pub const ALL: [Scenario; 6] = [
        Scenario::ClickStorm,
        Scenario::Reload,
        Scenario::LostResponse,
        Scenario::NewKeyEveryRetry,
        Scenario::ReusedKey,
        Scenario::PrepareFails,
    ];

    /// The name its link carries: `?scenario=<name>`.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::ClickStorm => "click-storm",
            Scenario::Reload => "reload",
            Scenario::LostResponse => "lost-response",
            Scenario::NewKeyEveryRetry => "new-key-every-retry",
            Scenario::ReusedKey => "reused-key",
            Scenario::PrepareFails => "prepare-fails",
        }
    }

    pub fn named(name: &str) -> Option<Scenario> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The switches it sets, on top of the defaults (the learner keeps their view of the tables).
    pub fn settings(self, current: &Settings) -> Settings {
        let mut s = current.fresh_keeping_view();
        match self {
            Scenario::ClickStorm => s.delay_ms = 2000,
            Scenario::Reload => s.delay_ms = 5000,
            Scenario::LostResponse => {
                s.delay_ms = 1500;
                s.lose_first_response = true;
            }
            Scenario::NewKeyEveryRetry => {
                s.delay_ms = 1500;
                s.lose_first_response = true;
                s.new_key_every_retry = true;
            }
            Scenario::ReusedKey => s.reuse_user_key = true,
            Scenario::PrepareFails => {
                s.mode = KeyMode::Server;
                s.fail_next_prepare = true;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_is_found_by_its_own_name() {
        for scenario in Scenario::ALL {
            assert_eq!(Scenario::named(scenario.name()), Some(scenario));
        }
        assert_eq!(Scenario::named("nowhere"), None);
    }

    #[test]
    fn a_scenario_starts_from_the_defaults_but_keeps_the_view() {
        let mine = Settings {
            only_mine: false,
            reuse_user_key: true,
            ..Settings::default()
        };
        let lost = Scenario::LostResponse.settings(&mine);
        assert!(!lost.only_mine, "the learner's view is kept");
        assert!(!lost.reuse_user_key, "other switches start afresh");
        assert!(lost.lose_first_response);
    }
}
