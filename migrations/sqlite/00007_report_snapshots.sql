-- migrations/postgres/00007_report_snapshots.sql in SQLite's types (dates
-- TEXT 'YYYY-MM-DD', times INTEGER unix nanoseconds, as in 00001).

-- +goose Up
CREATE TABLE report_snapshots (
    company    TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    as_of      TEXT    NOT NULL,
    from_date  TEXT,
    rows       TEXT    NOT NULL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (company, kind, as_of)
) STRICT;

-- +goose Down
DROP TABLE report_snapshots;
