-- migrations/postgres/00008_mirror_vouchers_by_date.sql, the same in SQLite.
-- A day's vouchers (the daily sales summary, service.SummaryStore) are read
-- by date: one indexed range instead of a scan of the company's vouchers.

-- +goose Up
CREATE INDEX IF NOT EXISTS mirror_vouchers_date ON mirror_vouchers (company, date, vtype);

-- +goose Down
DROP INDEX IF EXISTS mirror_vouchers_date;
