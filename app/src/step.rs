//! The guided lesson's steps: one per section of chapter 11, each with its own address.

/// A step of the lesson, in the chapter's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// 11.1: a resend carries the same key.
    OneOperationOneKey,
    /// 11.2: client-generated keys, kept where a reload cannot lose them.
    ClientKeys,
    /// 11.3: server-issued keys.
    ServerKeys,
    /// 11.4: how to choose between the two.
    Choosing,
    /// 11.5: what a client's retry loop must do.
    ClientDuties,
    /// 11.6: the server's two refusals.
    Refusals,
    /// 11.7: the three accidents.
    Accidents,
    /// 11.8: test yourself.
    Quiz,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::OneOperationOneKey,
        Step::ClientKeys,
        Step::ServerKeys,
        Step::Choosing,
        Step::ClientDuties,
        Step::Refusals,
        Step::Accidents,
        Step::Quiz,
    ];

    /// 1 to 8, as the step's address and the lesson's texts count.
    pub fn number(self) -> usize {
        Self::ALL
            .iter()
            .position(|s| *s == self)
            .map_or(0, |i| i + 1)
    }

    pub fn from_number(number: usize) -> Option<Step> {
        Self::ALL.get(number.checked_sub(1)?).copied()
    }

    /// `/lesson/<number>`.
    pub fn path(self) -> String {
        format!("/lesson/{}", self.number())
    }

    pub fn previous(self) -> Option<Step> {
        Self::from_number(self.number() - 1)
    }

    pub fn next(self) -> Option<Step> {
        Self::from_number(self.number() + 1)
    }

    pub fn is_last(self) -> bool {
        self.next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::Step;

    #[test]
    fn numbers_and_steps_match_both_ways() {
        for (i, step) in Step::ALL.iter().enumerate() {
            assert_eq!(step.number(), i + 1);
            assert_eq!(Step::from_number(i + 1), Some(*step));
        }
        assert_eq!(Step::from_number(0), None);
        assert_eq!(Step::from_number(9), None);
        assert_eq!(Step::Quiz.next(), None);
        assert_eq!(Step::OneOperationOneKey.previous(), None);
    }
}
