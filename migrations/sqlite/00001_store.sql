-- The embedded (SQLite) store's tables: the same as migrations/postgres,
-- in SQLite's types. Times are INTEGER unix nanoseconds (UTC), truncated to
-- microseconds by the store as PostgreSQL's TIMESTAMPTZ does, so both stores
-- return the same instants; NULL where the Go value is the zero time.
-- Booleans are INTEGER 0/1. Opaque payloads are BLOB so they round-trip
-- byte for byte. Tables are STRICT so a wrongly typed value is an error
-- instead of being silently stored with another affinity.

-- +goose Up
CREATE TABLE idempotency_keys (
    scope            TEXT    NOT NULL,
    key              TEXT    NOT NULL,
    request_hash     TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('in_progress', 'completed')),
    -- After locked_until another request with the same hash may take over
    -- an in-progress key (its first owner died mid-request).
    locked_until     INTEGER NOT NULL,
    response_status  INTEGER,
    response_headers TEXT,   -- JSON object
    response_body    BLOB,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) STRICT;
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

CREATE TABLE orders (
    id              TEXT    NOT NULL PRIMARY KEY,
    company         TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    ref             TEXT    NOT NULL DEFAULT '',
    -- The voucher's REMOTEID, derived from the order id: unique so that an
    -- order can never be stored (and so posted) twice.
    remote_id       TEXT    NOT NULL UNIQUE,
    party           TEXT    NOT NULL DEFAULT '',
    request         BLOB    NOT NULL,
    result          BLOB,
    state           TEXT    NOT NULL CHECK (state IN ('received', 'posting', 'posted', 'rejected', 'needs_attention')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    ambiguous       INTEGER NOT NULL DEFAULT 0 CHECK (ambiguous IN (0, 1)),
    party_created   INTEGER NOT NULL DEFAULT 0 CHECK (party_created IN (0, 1)),
    last_error      TEXT    NOT NULL DEFAULT '',
    last_error_code TEXT    NOT NULL DEFAULT '',
    next_attempt_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    posted_at       INTEGER
) STRICT;
CREATE INDEX orders_state_created_at ON orders (state, created_at DESC);
CREATE INDEX orders_created_at ON orders (created_at DESC);
CREATE INDEX orders_party_created_at ON orders (party, created_at DESC);

CREATE TABLE imports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, like BIGSERIAL
    order_id        TEXT    REFERENCES orders (id) ON DELETE SET NULL,
    company         TEXT    NOT NULL DEFAULT '',
    kind            TEXT    NOT NULL,
    remote_id       TEXT    NOT NULL DEFAULT '',
    party           TEXT    NOT NULL DEFAULT '',
    -- Bodies are truncated to service.MaxAuditBody; retention may clear them
    -- (set to NULL) while the row and its counters stay.
    request         BLOB,
    response        BLOB,
    truncated       INTEGER NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1)),
    created         INTEGER NOT NULL DEFAULT 0,
    altered         INTEGER NOT NULL DEFAULT 0,
    deleted         INTEGER NOT NULL DEFAULT 0,
    cancelled       INTEGER NOT NULL DEFAULT 0,
    combined        INTEGER NOT NULL DEFAULT 0,
    ignored         INTEGER NOT NULL DEFAULT 0,
    errors          INTEGER NOT NULL DEFAULT 0,
    exceptions      INTEGER NOT NULL DEFAULT 0,
    last_voucher_id INTEGER NOT NULL DEFAULT 0,
    line_errors     TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    result          TEXT    NOT NULL CHECK (result IN ('ok', 'rejected', 'ambiguous', 'failed')),
    error_code      TEXT    NOT NULL DEFAULT '',
    duration_ms     INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX imports_created_at ON imports (created_at DESC, id DESC);
CREATE INDEX imports_order_id ON imports (order_id, created_at DESC) WHERE order_id IS NOT NULL;
CREATE INDEX imports_party_created_at ON imports (party, created_at DESC);
CREATE INDEX imports_result_created_at ON imports (result, created_at DESC);

CREATE TABLE inbound_messages (
    id          TEXT    NOT NULL PRIMARY KEY,
    "from"      TEXT    NOT NULL DEFAULT '',
    type        TEXT    NOT NULL DEFAULT '',
    payload     BLOB,
    received_at INTEGER NOT NULL
) STRICT;
CREATE INDEX inbound_messages_received_at ON inbound_messages (received_at);

-- +goose Down
DROP TABLE inbound_messages;
DROP TABLE imports;
DROP TABLE orders;
DROP TABLE idempotency_keys;
