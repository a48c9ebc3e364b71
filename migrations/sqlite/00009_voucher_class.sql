-- migrations/postgres/00009_voucher_class.sql in SQLite.

-- +goose Up
ALTER TABLE mirror_vouchers ADD COLUMN class TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE mirror_vouchers DROP COLUMN class;
