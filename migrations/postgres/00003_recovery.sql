-- Crash recovery (issue 8, item 11).
--
-- idempotency_keys.order_id links a key to the order its request stored,
-- written in the transaction that stores the order: a retry of a key whose
-- first request died after storing it answers from the order instead of
-- 409 idempotency_key_in_flight until the lease runs out.
--
-- orders.heartbeat_at is when a live worker last said it is still posting
-- the order (every few seconds while PostOrder runs). An order left in
-- posting with a stale heartbeat belongs to a dead worker and is rescued.

-- +goose Up
ALTER TABLE idempotency_keys ADD COLUMN order_id TEXT;
ALTER TABLE orders ADD COLUMN heartbeat_at TIMESTAMPTZ;
CREATE INDEX orders_posting_heartbeat ON orders (heartbeat_at) WHERE state = 'posting';

-- +goose Down
DROP INDEX orders_posting_heartbeat;
ALTER TABLE orders DROP COLUMN heartbeat_at;
ALTER TABLE idempotency_keys DROP COLUMN order_id;
