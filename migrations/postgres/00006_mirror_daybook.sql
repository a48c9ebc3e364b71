-- The day book and documents from the mirror (issue 11): vouchers read by
-- date a page at a time (keyset on date and MasterID), and the company's
-- own details that a statement or an invoice copy prints (name, address,
-- GSTIN), kept so they print while Tally is off. address is one line per
-- entry, joined by a line feed.

-- +goose Up
CREATE INDEX mirror_vouchers_date ON mirror_vouchers (company, date, master_id);

CREATE TABLE mirror_company (
    company TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    state   TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    pincode TEXT NOT NULL DEFAULT '',
    gstin   TEXT NOT NULL DEFAULT '',
    phone   TEXT NOT NULL DEFAULT '',
    email   TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE mirror_company;
DROP INDEX mirror_vouchers_date;
