//! Every statement the server runs on PostgreSQL, by name, and [`STATEMENTS`], the list of
//! them that `tests/api/storage.rs` prepares against a freshly migrated database (so a typo
//! or a dropped column fails the tests, as a checked query would). A name both back ends'
//! lists hold is the same statement in both dialects: the test checks that both take as many
//! parameters and return the same columns.
//!
//! A write that changes orders or records is announced just after its commit by `changes.rs`,
//! with `NOTIFY_CHANGES`.

use crate::storage::rows::{ORDER_COLUMNS, RECORD_COLUMNS};
use crate::storage::sql::sql;

/// Where change announcements go. A payload is a learner's user id, or empty for possibly
/// anyone's (a user id is never empty).
pub(super) const CHANGES_CHANNEL: &str = "lab_changes";

/// The database's clock in ms since the Unix epoch. Every process that shares the database
/// decides leases and expiry by this one clock, whatever its own says.
const DB_NOW_MS: &str = "floor(extract(epoch from clock_timestamp()) * 1000)::bigint";

// Reads.

pub(super) const PING: &str = "SELECT 1 AS ok";
pub(super) const SELECT_DB_NOW: &str = sql!("SELECT ", DB_NOW_MS);
pub(super) const SELECT_RECORD: &str = sql!(
    "SELECT ",
    RECORD_COLUMNS,
    " FROM idempotency_records WHERE key = $1"
);
/// The record, locked until the transaction ends (a claim or an expiry decides on it).
pub(super) const SELECT_RECORD_FOR_UPDATE: &str = sql!(SELECT_RECORD, " FOR UPDATE");
pub(super) const LIST_RECORDS: &str = sql!(
    "SELECT ",
    RECORD_COLUMNS,
    " FROM idempotency_records ORDER BY created_at_ms DESC, seq DESC LIMIT $1"
);
pub(super) const FIND_ORDER: &str = sql!("SELECT ", ORDER_COLUMNS, " FROM orders WHERE id = $1");
pub(super) const LIST_ORDERS: &str = sql!(
    "SELECT ",
    ORDER_COLUMNS,
    " FROM orders WHERE $1::text IS NULL OR user_id = $1 \
     ORDER BY created_at_ms DESC, seq DESC LIMIT $2"
);
pub(super) const INSERT_SECRET: &str =
    "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
pub(super) const SELECT_SECRET: &str = "SELECT value FROM server_secrets WHERE name = $1";

/// Announces changes, one per payload in `$1`, to every process that listens.
pub(super) const NOTIFY_CHANGES: &str = sql!(
    "SELECT pg_notify('",
    CHANGES_CHANNEL,
    "', payload) FROM unnest($1::text[]) AS payload"
);

// Claims.

/// A fresh claim stamped by the database clock, unless the key has a record or is an issued
/// key past its expiry ($6) by that clock.
pub(super) const INSERT_CLAIM_IF_NEW_BY_DB_CLOCK: &str = sql!(
    "INSERT INTO idempotency_records (key, fingerprint, state, claim_token, \
       locked_until_ms, created_at_ms, expires_at_ms, user_id) \
     SELECT $1, $2, 'in_flight', $3, now.ms + $4, now.ms, now.ms + greatest($4, $5), $7 \
       FROM (SELECT ",
    DB_NOW_MS,
    " AS ms) now WHERE $6::bigint IS NULL OR $6 > now.ms \
     ON CONFLICT (key) DO NOTHING"
);
/// A claim the plan allowed, for a key whose record vanished meanwhile (another request may
/// insert one first: then 0 rows, and the claim looks again).
pub(super) const INSERT_CLAIM: &str = "INSERT INTO idempotency_records (key, fingerprint, \
     state, claim_token, locked_until_ms, created_at_ms, expires_at_ms, user_id) \
     VALUES ($1, $2, 'in_flight', $3, $4, $5, $6, $7) ON CONFLICT (key) DO NOTHING";
/// Takes a record over: an expired one, or a dead claim of the same request.
pub(super) const REPLACE_CLAIM: &str = "UPDATE idempotency_records SET fingerprint = $2, \
     state = 'in_flight', claim_token = $3, locked_until_ms = $4, created_at_ms = $5, \
     expires_at_ms = $6, response_status = NULL, response_content_type = NULL, \
     response_location = NULL, response_body = NULL, order_id = NULL, replay_count = 0, \
     user_id = $7 WHERE key = $1";
/// Drops our claim; says whose it was.
pub(super) const RELEASE_CLAIM: &str = "DELETE FROM idempotency_records \
     WHERE key = $1 AND claim_token = $2 RETURNING user_id";

// Orders, with their completed records (parameters as `bind_order` numbers them).

/// The fence, in one statement: the record turns completed only while it still carries our
/// claim token, and the order is inserted only from the row that update returned. Both happen
/// (1 row) or neither does (0: the claim was lost and nothing was written).
pub(super) const COMPLETE_CLAIMED: &str = "WITH stored AS ( \
       UPDATE idempotency_records SET state = 'completed', claim_token = NULL, \
         locked_until_ms = NULL, response_status = $7, response_content_type = $8, \
         response_location = $9, response_body = $10, order_id = $1, expires_at_ms = $11 \
       WHERE key = $5 AND claim_token = $6 AND state = 'in_flight' RETURNING key) \
     INSERT INTO orders (id, user_id, items_json, created_at_ms, idempotency_key, \
       lab_operation) \
     SELECT $1, $2, $3, $4, key, $12 FROM stored";

/// Record, order and answer at once, for a key with no record, unless it is an issued key
/// past its expiry ($13) by the database clock: `created` is 1 or 0, beside the record that
/// was there (see `create_completed`).
pub(super) const CREATE_COMPLETED: &str = sql!(
    "WITH stored AS ( \
       INSERT INTO idempotency_records (key, fingerprint, state, response_status, \
         response_content_type, response_location, response_body, order_id, \
         created_at_ms, expires_at_ms, user_id) \
       SELECT $5, $6, 'completed', $7, $8, $9, $10, $1, $4, $11, $2 \
         WHERE $13::bigint IS NULL OR $13 > ",
    DB_NOW_MS,
    " ON CONFLICT (key) DO NOTHING RETURNING key), \
     ordered AS ( \
       INSERT INTO orders (id, user_id, items_json, created_at_ms, idempotency_key, \
         lab_operation) \
       SELECT $1, $2, $3, $4, key, $12 FROM stored RETURNING 1) \
     SELECT (SELECT count(*) FROM ordered) AS created, ",
    RECORD_COLUMNS,
    " FROM (SELECT 1) AS one LEFT JOIN idempotency_records ON key = $5"
);

// Forgetting.

/// One batch ($1) of expired records, by the database clock; never a claim whose lease
/// still runs, nor a row another process is purging.
pub(super) const PURGE_EXPIRED_BY_DB_CLOCK: &str = sql!(
    "WITH now AS (SELECT ",
    DB_NOW_MS,
    " AS ms) \
     DELETE FROM idempotency_records WHERE key IN ( \
       SELECT key FROM idempotency_records, now \
       WHERE expires_at_ms <= now.ms AND (state = 'completed' OR locked_until_ms <= now.ms) \
       LIMIT $1 FOR UPDATE OF idempotency_records SKIP LOCKED)"
);

pub(super) const DELETE_RECORDS_OF: &str =
    "DELETE FROM idempotency_records WHERE $1::text IS NULL OR user_id = $1";
pub(super) const DELETE_ORDERS_OF: &str =
    "DELETE FROM orders WHERE $1::text IS NULL OR user_id = $1";

/// The lab's "expire this key now": the learner's record, locked, then its expiry (never
/// later).
pub(super) const SELECT_RECORD_OF_LEARNER_FOR_UPDATE: &str = sql!(
    "SELECT ",
    RECORD_COLUMNS,
    " FROM idempotency_records WHERE key = $1 AND user_id = $2 FOR UPDATE"
);
pub(super) const EXPIRE_RECORD: &str =
    "UPDATE idempotency_records SET expires_at_ms = LEAST(expires_at_ms, $2) WHERE key = $1";

/// Every operation's replays at once ($1 keys, $2 order ids, $3 counts), each added to its own
/// record; rows are locked in key order, so two processes flushing at once cannot deadlock.
pub(super) const ADD_ALL_REPLAYS: &str =
    "WITH counts AS (SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[]) \
       AS c(key, order_id, added)), \
     locked AS (SELECT r.key, counts.added FROM idempotency_records r \
       JOIN counts ON counts.key = r.key AND counts.order_id = r.order_id \
       ORDER BY r.key FOR UPDATE OF r) \
     UPDATE idempotency_records r SET replay_count = r.replay_count + locked.added \
       FROM locked WHERE r.key = locked.key";

/// Every statement above, by name.
pub const STATEMENTS: &[(&str, &str)] = &[
    ("PING", PING),
    ("SELECT_DB_NOW", SELECT_DB_NOW),
    ("SELECT_RECORD", SELECT_RECORD),
    ("SELECT_RECORD_FOR_UPDATE", SELECT_RECORD_FOR_UPDATE),
    ("LIST_RECORDS", LIST_RECORDS),
    ("FIND_ORDER", FIND_ORDER),
    ("LIST_ORDERS", LIST_ORDERS),
    ("INSERT_SECRET", INSERT_SECRET),
    ("SELECT_SECRET", SELECT_SECRET),
    ("NOTIFY_CHANGES", NOTIFY_CHANGES),
    (
        "INSERT_CLAIM_IF_NEW_BY_DB_CLOCK",
        INSERT_CLAIM_IF_NEW_BY_DB_CLOCK,
    ),
    ("INSERT_CLAIM", INSERT_CLAIM),
    ("REPLACE_CLAIM", REPLACE_CLAIM),
    ("RELEASE_CLAIM", RELEASE_CLAIM),
    ("COMPLETE_CLAIMED", COMPLETE_CLAIMED),
    ("CREATE_COMPLETED", CREATE_COMPLETED),
    ("PURGE_EXPIRED_BY_DB_CLOCK", PURGE_EXPIRED_BY_DB_CLOCK),
    ("DELETE_RECORDS_OF", DELETE_RECORDS_OF),
    ("DELETE_ORDERS_OF", DELETE_ORDERS_OF),
    (
        "SELECT_RECORD_OF_LEARNER_FOR_UPDATE",
        SELECT_RECORD_OF_LEARNER_FOR_UPDATE,
    ),
    ("EXPIRE_RECORD", EXPIRE_RECORD),
    ("ADD_ALL_REPLAYS", ADD_ALL_REPLAYS),
];
