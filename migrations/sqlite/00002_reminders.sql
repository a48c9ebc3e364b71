-- Payment reminder sends: migrations/postgres/00002_reminders.sql in
-- SQLite's types. The day is TEXT 'YYYY-MM-DD'; times are INTEGER unix
-- nanoseconds as in 00001.

-- +goose Up
CREATE TABLE reminder_sends (
    key         TEXT    NOT NULL PRIMARY KEY,
    company     TEXT    NOT NULL DEFAULT '',
    party       TEXT    NOT NULL,
    mobile      TEXT    NOT NULL DEFAULT '',
    day         TEXT    NOT NULL,
    message     TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL CHECK (status IN ('claimed', 'sent', 'failed', 'unknown')),
    message_id  TEXT    NOT NULL DEFAULT '',
    response    BLOB,
    error       TEXT    NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX reminder_sends_day ON reminder_sends (day, party);
CREATE INDEX reminder_sends_created_at ON reminder_sends (created_at DESC);

-- +goose Down
DROP TABLE reminder_sends;
