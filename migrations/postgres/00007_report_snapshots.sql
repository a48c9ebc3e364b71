-- The last Balance Sheet and Profit & Loss Tally gave, per company, report
-- and date (service.ReportStore): Tally computes these reports, so they are
-- not derived from the mirror, but a kept copy lets a read answer, marked
-- stale, while Tally is off. A report is a few dozen rows, kept as JSON.

-- +goose Up
CREATE TABLE report_snapshots (
    -- The company folded as Tally matches names (service.NameKey).
    company    TEXT        NOT NULL,
    name       TEXT        NOT NULL,
    kind       TEXT        NOT NULL,
    as_of      DATE        NOT NULL,
    from_date  DATE,
    rows       JSONB       NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company, kind, as_of)
);

-- +goose Down
DROP TABLE report_snapshots;
