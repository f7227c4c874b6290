-- Records learn whose they are, so a learner's "reset" clears that learner's records and
-- orders only, and other learners on the same server keep theirs. Rows from before stay
-- NULL: they belong to no learner and only the operator's wipe removes them.
ALTER TABLE idempotency_records ADD COLUMN user_id TEXT;
CREATE INDEX idempotency_records_by_user ON idempotency_records (user_id);
