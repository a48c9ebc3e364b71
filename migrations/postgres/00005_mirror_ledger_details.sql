-- The rest of a party's details in the mirror, so a party read from it is the
-- party Tally shows: mailing address (one line per entry, joined by a line
-- feed), country, pincode and GST registration type.

-- +goose Up
ALTER TABLE mirror_ledgers ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE mirror_ledgers ADD COLUMN country TEXT NOT NULL DEFAULT '';
ALTER TABLE mirror_ledgers ADD COLUMN pincode TEXT NOT NULL DEFAULT '';
ALTER TABLE mirror_ledgers ADD COLUMN gst_registration_type TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE mirror_ledgers DROP COLUMN gst_registration_type;
ALTER TABLE mirror_ledgers DROP COLUMN pincode;
ALTER TABLE mirror_ledgers DROP COLUMN country;
ALTER TABLE mirror_ledgers DROP COLUMN address;
