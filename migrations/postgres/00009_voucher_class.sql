-- The predefined type each mirrored voucher's type was made under, as
-- Tally's $$IsSales/$$IsReceipt answer it (service.MirrorVoucher.Class,
-- docs/tally-protocol.md §9.7): 'Sales', 'Receipt', 'Other', or '' for a
-- voucher synced before the mirror asked (its type's name decides then).

-- +goose Up
ALTER TABLE mirror_vouchers ADD COLUMN class TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE mirror_vouchers DROP COLUMN class;
