-- The PostgreSQL store's tables (service.Store). Times are TIMESTAMPTZ;
-- opaque payloads (order request and result, import bodies, WhatsApp
-- payloads) are BYTEA so they round-trip byte for byte (JSONB would reorder
-- keys and drop whitespace). Money never appears as a column: amounts live
-- only inside the opaque order JSON, as exact paise.

-- +goose Up
CREATE TABLE idempotency_keys (
    scope            TEXT        NOT NULL,
    key              TEXT        NOT NULL,
    request_hash     TEXT        NOT NULL,
    state            TEXT        NOT NULL CHECK (state IN ('in_progress', 'completed')),
    -- After locked_until another request with the same hash may take over
    -- an in-progress key (its first owner died mid-request).
    locked_until     TIMESTAMPTZ NOT NULL,
    response_status  INT,
    response_headers JSONB,
    response_body    BYTEA,
    created_at       TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

CREATE TABLE orders (
    id              UUID        PRIMARY KEY,
    company         TEXT        NOT NULL,
    source          TEXT        NOT NULL,
    ref             TEXT        NOT NULL DEFAULT '',
    -- The voucher's REMOTEID, derived from the order id: unique so that an
    -- order can never be stored (and so posted) twice.
    remote_id       TEXT        NOT NULL UNIQUE,
    party           TEXT        NOT NULL DEFAULT '',
    request         BYTEA       NOT NULL,
    result          BYTEA,
    state           TEXT        NOT NULL CHECK (state IN ('received', 'posting', 'posted', 'rejected', 'needs_attention')),
    attempts        INT         NOT NULL DEFAULT 0,
    ambiguous       BOOLEAN     NOT NULL DEFAULT FALSE,
    party_created   BOOLEAN     NOT NULL DEFAULT FALSE,
    last_error      TEXT        NOT NULL DEFAULT '',
    last_error_code TEXT        NOT NULL DEFAULT '',
    next_attempt_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    posted_at       TIMESTAMPTZ
);
CREATE INDEX orders_state_created_at ON orders (state, created_at DESC);
CREATE INDEX orders_created_at ON orders (created_at DESC);
CREATE INDEX orders_party_created_at ON orders (party, created_at DESC);

CREATE TABLE imports (
    id              BIGSERIAL   PRIMARY KEY,
    order_id        UUID        REFERENCES orders (id) ON DELETE SET NULL,
    company         TEXT        NOT NULL DEFAULT '',
    kind            TEXT        NOT NULL,
    remote_id       TEXT        NOT NULL DEFAULT '',
    party           TEXT        NOT NULL DEFAULT '',
    -- Bodies are truncated to service.MaxAuditBody; retention may clear them
    -- (set to NULL) while the row and its counters stay.
    request         BYTEA,
    response        BYTEA,
    truncated       BOOLEAN     NOT NULL DEFAULT FALSE,
    created         INT         NOT NULL DEFAULT 0,
    altered         INT         NOT NULL DEFAULT 0,
    deleted         INT         NOT NULL DEFAULT 0,
    cancelled       INT         NOT NULL DEFAULT 0,
    combined        INT         NOT NULL DEFAULT 0,
    ignored         INT         NOT NULL DEFAULT 0,
    errors          INT         NOT NULL DEFAULT 0,
    exceptions      INT         NOT NULL DEFAULT 0,
    last_voucher_id INT         NOT NULL DEFAULT 0,
    line_errors     TEXT[]      NOT NULL DEFAULT '{}',
    result          TEXT        NOT NULL,
    error_code      TEXT        NOT NULL DEFAULT '',
    duration_ms     BIGINT      NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX imports_created_at ON imports (created_at DESC, id DESC);
CREATE INDEX imports_order_id ON imports (order_id, created_at DESC) WHERE order_id IS NOT NULL;
CREATE INDEX imports_party_created_at ON imports (party, created_at DESC);
CREATE INDEX imports_result_created_at ON imports (result, created_at DESC);

CREATE TABLE inbound_messages (
    id          TEXT        PRIMARY KEY,
    "from"      TEXT        NOT NULL DEFAULT '',
    type        TEXT        NOT NULL DEFAULT '',
    payload     BYTEA,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX inbound_messages_received_at ON inbound_messages (received_at);

-- +goose Down
DROP TABLE inbound_messages;
DROP TABLE imports;
DROP TABLE orders;
DROP TABLE idempotency_keys;
