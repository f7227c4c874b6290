//! Every statement the server runs on SQLite, by name, and [`STATEMENTS`], the list of them
//! that `tests/api/storage.rs` prepares against a freshly migrated file (so a typo or a
//! dropped column fails the tests, as a checked query would).
//!
//! The list holds single statements only. A write that sends several in one call (see
//! [`isolated!`]) is built here from listed ones, at compile time, so what runs is exactly
//! what was checked. A name both back ends' lists hold is the same statement in both dialects:
//! the test checks that both take as many parameters and return the same columns.

use crate::storage::rows::{ORDER_COLUMNS, RECORD_COLUMNS};
use crate::storage::sql::sql;

// Reads, on the pool; each sees committed data only (WAL).

pub(super) const PING: &str = "SELECT 1 AS ok";
pub(super) const SELECT_RECORD: &str = sql!(
    "SELECT ",
    RECORD_COLUMNS,
    " FROM idempotency_records WHERE key = ?1"
);
pub(super) const LIST_RECORDS: &str = sql!(
    "SELECT ",
    RECORD_COLUMNS,
    " FROM idempotency_records ORDER BY created_at_ms DESC, rowid DESC LIMIT ?1"
);
pub(super) const FIND_ORDER: &str = sql!("SELECT ", ORDER_COLUMNS, " FROM orders WHERE id = ?1");
pub(super) const LIST_ORDERS: &str = sql!(
    "SELECT ",
    ORDER_COLUMNS,
    " FROM orders WHERE ?1 IS NULL OR user_id = ?1 \
     ORDER BY created_at_ms DESC, rowid DESC LIMIT ?2"
);
pub(super) const INSERT_SECRET: &str =
    "INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?1, ?2)";
pub(super) const SELECT_SECRET: &str = "SELECT value FROM server_secrets WHERE name = ?1";

// The writer's transaction (see `writer.rs`).

pub(super) const BEGIN_IMMEDIATE: &str = "BEGIN IMMEDIATE";
pub(super) const RELEASE_SAVEPOINT: &str = "RELEASE write";
pub(super) const OPEN_SAVEPOINT: &str = "SAVEPOINT write";
pub(super) const ROLLBACK_TO_SAVEPOINT: &str = "ROLLBACK TO write";
pub(super) const COMMIT: &str = "COMMIT";
pub(super) const ROLLBACK: &str = "ROLLBACK";

/// A batch's start. The first write's `RELEASE write` needs a savepoint to release.
pub(super) const BEGIN_BATCH: &str = sql!(BEGIN_IMMEDIATE, "; ", OPEN_SAVEPOINT);

/// A write's own savepoint, in place of the one before: exactly one savepoint named `write`
/// is alive at any time, this write's. If the `RELEASE` or the `SAVEPOINT` fails, none of ours
/// is left, so the `ROLLBACK TO write` after it fails too and the transaction counts as lost:
/// it can never undo an earlier write by mistake.
pub(super) const NEW_SAVEPOINT: &str = sql!(RELEASE_SAVEPOINT, "; ", OPEN_SAVEPOINT);
/// The statements `NEW_SAVEPOINT` is.
pub(super) const SAVEPOINT_STATEMENTS: usize = 2;

/// A write's statements after its `NEW_SAVEPOINT`, in one call: one round trip to SQLite's
/// thread instead of three, since that hand-off is the writer's cost.
macro_rules! isolated {
    ($first:expr $(, $then:expr)*) => {
        sql!(NEW_SAVEPOINT, "; ", $first $(, "; ", $then)*)
    };
}

// Claims.

pub(super) const INSERT_CLAIM: &str = "INSERT INTO idempotency_records (key, fingerprint, \
     state, claim_token, locked_until_ms, created_at_ms, expires_at_ms, user_id) \
     VALUES (?1, ?2, 'in_flight', ?3, ?4, ?5, ?6, ?7)";
pub(super) const INSERT_CLAIM_IF_NEW: &str = sql!(INSERT_CLAIM, " ON CONFLICT (key) DO NOTHING");
/// The common case, a key with no record, in the write's first call.
pub(super) const CLAIM_IF_NEW: &str = isolated!(INSERT_CLAIM_IF_NEW);

/// Takes a record over: an expired one, or a dead claim of the same request.
pub(super) const REPLACE_CLAIM: &str = "UPDATE idempotency_records SET fingerprint = ?2, \
     state = 'in_flight', claim_token = ?3, locked_until_ms = ?4, created_at_ms = ?5, \
     expires_at_ms = ?6, response_status = NULL, response_content_type = NULL, \
     response_location = NULL, response_body = NULL, order_id = NULL, replay_count = 0, \
     user_id = ?7 WHERE key = ?1";

/// Drops our claim; says whose it was.
pub(super) const RELEASE_CLAIM: &str = "DELETE FROM idempotency_records \
     WHERE key = ?1 AND claim_token = ?2 RETURNING user_id";
pub(super) const DROP_CLAIM: &str = isolated!(RELEASE_CLAIM);

// Orders, with their completed records (parameters as `bind_order` numbers them).

pub(super) const INSERT_ORDER_IF_CLAIMED: &str = "INSERT INTO orders (id, user_id, items_json, \
     created_at_ms, idempotency_key, lab_operation) \
     SELECT ?1, ?2, ?3, ?4, ?5, ?12 WHERE EXISTS (SELECT 1 FROM idempotency_records \
       WHERE key = ?5 AND claim_token = ?6 AND state = 'in_flight')";
pub(super) const COMPLETE_RECORD: &str = "UPDATE idempotency_records SET state = 'completed', \
     claim_token = NULL, locked_until_ms = NULL, response_status = ?7, \
     response_content_type = ?8, response_location = ?9, response_body = ?10, order_id = ?1, \
     expires_at_ms = ?11 WHERE key = ?5 AND claim_token = ?6 AND state = 'in_flight'";
/// The fence, in one round trip: the order is inserted, and the record turns completed, only
/// while the record still carries our claim token. Both statements test the same condition in
/// the same transaction, so they succeed together (2 rows) or not at all (0: the claim was lost).
pub(super) const COMPLETE_CLAIMED: &str = isolated!(INSERT_ORDER_IF_CLAIMED, COMPLETE_RECORD);

pub(super) const INSERT_COMPLETED_RECORD: &str = "INSERT INTO idempotency_records (key, \
     fingerprint, state, response_status, response_content_type, response_location, \
     response_body, order_id, created_at_ms, expires_at_ms, user_id) \
     VALUES (?5, ?6, 'completed', ?7, ?8, ?9, ?10, ?1, ?4, ?11, ?2) \
     ON CONFLICT (key) DO NOTHING";
pub(super) const INSERT_ORDER_BESIDE_RECORD: &str = "INSERT INTO orders (id, user_id, \
     items_json, created_at_ms, idempotency_key, lab_operation) \
     SELECT ?1, ?2, ?3, ?4, ?5, ?12 WHERE EXISTS (SELECT 1 FROM idempotency_records \
       WHERE key = ?5 AND order_id = ?1)";
/// Claim, order and answer at once, for a key with no record: the completed record is
/// inserted unless the key has one, and the order only beside the record just inserted
/// (2 rows), or neither (0: the key was taken).
pub(super) const CREATE_COMPLETED: &str =
    isolated!(INSERT_COMPLETED_RECORD, INSERT_ORDER_BESIDE_RECORD);

// Forgetting.

/// One batch of expired records (never a claim whose lease still runs): ?1 now, ?2 the batch.
pub(super) const PURGE_EXPIRED: &str = "DELETE FROM idempotency_records WHERE rowid IN (\
     SELECT rowid FROM idempotency_records \
     WHERE expires_at_ms <= ?1 AND (state = 'completed' OR locked_until_ms <= ?1) LIMIT ?2)";
pub(super) const PURGE: &str = isolated!(PURGE_EXPIRED);

pub(super) const DELETE_RECORDS_OF: &str =
    "DELETE FROM idempotency_records WHERE ?1 IS NULL OR user_id = ?1";
pub(super) const DELETE_ORDERS_OF: &str = "DELETE FROM orders WHERE ?1 IS NULL OR user_id = ?1";
/// One learner's orders and records (`?1`), or everyone's (NULL).
pub(super) const RESET_LAB: &str = isolated!(DELETE_RECORDS_OF, DELETE_ORDERS_OF);

/// The lab's "expire this key now": the learner's record, then its expiry (never later).
pub(super) const SELECT_RECORD_OF_LEARNER: &str = sql!(
    "SELECT ",
    RECORD_COLUMNS,
    " FROM idempotency_records WHERE key = ?1 AND user_id = ?2"
);
pub(super) const EXPIRE_RECORD: &str =
    "UPDATE idempotency_records SET expires_at_ms = min(expires_at_ms, ?2) WHERE key = ?1";

/// One operation's replays: the key and the order it created.
pub(super) const ADD_REPLAYS: &str = "UPDATE idempotency_records \
     SET replay_count = replay_count + ?3 WHERE key = ?1 AND order_id = ?2";

// Test support (see `Fault`).

pub(super) const PAGE_COUNT: &str = "PRAGMA page_count";
pub(super) const SPACE_UNLIMITED: &str = "PRAGMA max_page_count = 4294967294";
pub(super) const DROP_FAULT_TRIGGER: &str = "DROP TRIGGER IF EXISTS temp.fault";

/// `SPACE_UNLIMITED` with a limit: a PRAGMA takes no parameters, so the number is written in.
/// (This and `fault_trigger` are the only texts built at run time; the fault tests run both.)
pub(super) fn max_page_count(limit: i64) -> String {
    format!("PRAGMA max_page_count = {limit}")
}

/// A trigger that makes SQLite roll back the whole transaction of any order for `user`. A
/// trigger takes no parameters either: the user is written in as an SQL string literal, its
/// quotes doubled.
pub(super) fn fault_trigger(user: &str) -> String {
    let user = user.replace('\'', "''");
    format!(
        "CREATE TEMP TRIGGER fault BEFORE INSERT ON main.orders WHEN NEW.user_id = '{user}' \
         BEGIN SELECT RAISE(ROLLBACK, 'injected failure'); END"
    )
}

/// Every statement above, by name (the texts made of several are made of these).
pub const STATEMENTS: &[(&str, &str)] = &[
    ("PING", PING),
    ("SELECT_RECORD", SELECT_RECORD),
    ("LIST_RECORDS", LIST_RECORDS),
    ("FIND_ORDER", FIND_ORDER),
    ("LIST_ORDERS", LIST_ORDERS),
    ("INSERT_SECRET", INSERT_SECRET),
    ("SELECT_SECRET", SELECT_SECRET),
    ("BEGIN_IMMEDIATE", BEGIN_IMMEDIATE),
    ("RELEASE_SAVEPOINT", RELEASE_SAVEPOINT),
    ("OPEN_SAVEPOINT", OPEN_SAVEPOINT),
    ("ROLLBACK_TO_SAVEPOINT", ROLLBACK_TO_SAVEPOINT),
    ("COMMIT", COMMIT),
    ("ROLLBACK", ROLLBACK),
    ("INSERT_CLAIM", INSERT_CLAIM),
    ("INSERT_CLAIM_IF_NEW", INSERT_CLAIM_IF_NEW),
    ("REPLACE_CLAIM", REPLACE_CLAIM),
    ("RELEASE_CLAIM", RELEASE_CLAIM),
    ("INSERT_ORDER_IF_CLAIMED", INSERT_ORDER_IF_CLAIMED),
    ("COMPLETE_RECORD", COMPLETE_RECORD),
    ("INSERT_COMPLETED_RECORD", INSERT_COMPLETED_RECORD),
    ("INSERT_ORDER_BESIDE_RECORD", INSERT_ORDER_BESIDE_RECORD),
    ("PURGE_EXPIRED", PURGE_EXPIRED),
    ("DELETE_RECORDS_OF", DELETE_RECORDS_OF),
    ("DELETE_ORDERS_OF", DELETE_ORDERS_OF),
    ("SELECT_RECORD_OF_LEARNER", SELECT_RECORD_OF_LEARNER),
    ("EXPIRE_RECORD", EXPIRE_RECORD),
    ("ADD_REPLAYS", ADD_REPLAYS),
    ("PAGE_COUNT", PAGE_COUNT),
    ("SPACE_UNLIMITED", SPACE_UNLIMITED),
    ("DROP_FAULT_TRIGGER", DROP_FAULT_TRIGGER),
];
