-- Crash recovery: migrations/postgres/00003_recovery.sql in SQLite's types
-- (times are INTEGER unix nanoseconds as in 00001).

-- +goose Up
ALTER TABLE idempotency_keys ADD COLUMN order_id TEXT;
ALTER TABLE orders ADD COLUMN heartbeat_at INTEGER;
CREATE INDEX orders_posting_heartbeat ON orders (heartbeat_at) WHERE state = 'posting';

-- +goose Down
DROP INDEX orders_posting_heartbeat;
ALTER TABLE orders DROP COLUMN heartbeat_at;
ALTER TABLE idempotency_keys DROP COLUMN order_id;
