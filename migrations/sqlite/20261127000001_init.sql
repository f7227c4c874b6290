-- Orders are the business data: they stay when idempotency records expire.
CREATE TABLE orders (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL,
    items_json      TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    -- Not UNIQUE: once a record expires, its key may start a new operation.
    idempotency_key TEXT NOT NULL
);
CREATE INDEX orders_by_key ON orders (idempotency_key);
CREATE INDEX orders_by_user ON orders (user_id, created_at_ms);

-- One row per operation: the claim while it runs, the stored answer once it is done.
CREATE TABLE idempotency_records (
    key                   TEXT NOT NULL UNIQUE,
    -- SHA-256 of method, path and canonical body: "same key, same request?"
    fingerprint           TEXT NOT NULL,
    state                 TEXT NOT NULL CHECK (state IN ('in_flight', 'completed')),
    -- The fence: only the request holding this token may complete or release the claim.
    claim_token           TEXT,
    locked_until_ms       INTEGER,
    response_status       INTEGER,
    response_content_type TEXT,
    response_location     TEXT,
    response_body         BLOB,
    order_id              TEXT,
    replay_count          INTEGER NOT NULL DEFAULT 0,
    created_at_ms         INTEGER NOT NULL,
    expires_at_ms         INTEGER NOT NULL,
    CHECK ((state = 'in_flight') = (claim_token IS NOT NULL AND locked_until_ms IS NOT NULL)),
    CHECK ((state = 'completed') = (response_status IS NOT NULL AND response_body IS NOT NULL))
);
CREATE INDEX idempotency_records_by_expiry ON idempotency_records (expires_at_ms);

-- Secrets every server process must share, such as the key that signs issued keys.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
);
