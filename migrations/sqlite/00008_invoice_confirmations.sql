-- migrations/postgres/00008_invoice_confirmations.sql in SQLite's types
-- (dates TEXT 'YYYY-MM-DD', times INTEGER unix nanoseconds, as in 00001).

-- +goose Up
CREATE TABLE invoice_confirmations (
    company     TEXT    NOT NULL,
    voucher_id  INTEGER NOT NULL,
    guid        TEXT    NOT NULL DEFAULT '',
    number      TEXT    NOT NULL DEFAULT '',
    date        TEXT,
    party       TEXT    NOT NULL,
    mobile      TEXT    NOT NULL DEFAULT '',
    mobile_e164 TEXT    NOT NULL DEFAULT '',
    amount      INTEGER NOT NULL,
    message     TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'no_mobile', 'sent', 'unknown', 'already_sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (company, voucher_id)
) STRICT;
CREATE INDEX invoice_confirmations_pending ON invoice_confirmations (company, created_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE invoice_confirmations;
