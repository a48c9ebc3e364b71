-- Payment reminder sends (service.Store ClaimReminder / RecordReminderSend).
-- The primary key is the dedupe key of a (company, party, bill set, day):
-- the INSERT of a claim is what decides, across replicas, who sends a
-- reminder; everyone else finds the row and sends nothing.

-- +goose Up
CREATE TABLE reminder_sends (
    key         TEXT        PRIMARY KEY,
    company     TEXT        NOT NULL DEFAULT '',
    party       TEXT        NOT NULL,
    mobile      TEXT        NOT NULL DEFAULT '',
    -- The calendar day in Asia/Kolkata the reminder is for.
    day         DATE        NOT NULL,
    message     TEXT        NOT NULL DEFAULT '',
    -- claimed: a dispatch owns it (and may have sent it); sent; failed: a
    -- later dispatch the same day may claim it again; unknown: the provider
    -- may have delivered it (a timeout after sending), so it is never sent
    -- again automatically.
    status      TEXT        NOT NULL CHECK (status IN ('claimed', 'sent', 'failed', 'unknown')),
    message_id  TEXT        NOT NULL DEFAULT '',
    -- The provider's answer, byte for byte, truncated to service.MaxAuditBody.
    response    BYTEA,
    error       TEXT        NOT NULL DEFAULT '',
    attempts    INT         NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX reminder_sends_day ON reminder_sends (day, party);
CREATE INDEX reminder_sends_created_at ON reminder_sends (created_at DESC);

-- +goose Down
DROP TABLE reminder_sends;
