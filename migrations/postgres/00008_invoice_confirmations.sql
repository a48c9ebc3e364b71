-- The outbox of invoice confirmations (service.ConfirmStore): one row per
-- Sales voucher that appeared in the mirror after its first load, written by
-- the sync before the voucher itself, so none is lost to a sync cut short
-- and none is added twice (the primary key). The send itself is claimed once
-- in reminder_sends (key confirm-invoice:<company>:<voucher_id>).

-- +goose Up
CREATE TABLE invoice_confirmations (
    -- The company folded as Tally matches names (service.NameKey).
    company    TEXT        NOT NULL,
    -- The voucher's MasterID in Tally.
    voucher_id BIGINT      NOT NULL,
    guid       TEXT        NOT NULL DEFAULT '',
    number     TEXT        NOT NULL DEFAULT '',
    date       DATE,
    party      TEXT        NOT NULL,
    mobile     TEXT        NOT NULL DEFAULT '',
    mobile_e164 TEXT       NOT NULL DEFAULT '',
    amount     BIGINT      NOT NULL,
    message    TEXT        NOT NULL DEFAULT '',
    status     TEXT        NOT NULL CHECK (status IN ('pending', 'no_mobile', 'sent', 'unknown', 'already_sent', 'failed')),
    attempts   INT         NOT NULL DEFAULT 0,
    error      TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company, voucher_id)
);
CREATE INDEX invoice_confirmations_pending ON invoice_confirmations (company, created_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE invoice_confirmations;
