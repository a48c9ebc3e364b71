-- The mirror of Tally's books (issue 10): per company, the groups, ledgers
-- and vouchers read from Tally and kept fresh by its AlterIDs, so reads are
-- answered without queueing behind Tally's one-at-a-time gateway.
--
-- company is the configured company name folded as Tally matches names
-- (service.NameKey); name_key/ledger_key/parent_key are names folded the
-- same way. Amounts are exact paise in BIGINT with Tally's sign (a debit is
-- negative): unlike orders, the mirror computes with them (balances, bills).
-- closing and mirror_bills are derived from the vouchers by the store at
-- each sync, so a read is one indexed query.

-- +goose Up
CREATE TABLE mirror_sync (
    company        TEXT        PRIMARY KEY,
    name           TEXT        NOT NULL,
    guid           TEXT        NOT NULL DEFAULT '',
    masters        BIGINT      NOT NULL DEFAULT 0,
    vouchers       BIGINT      NOT NULL DEFAULT 0,
    loaded         BOOLEAN     NOT NULL DEFAULT FALSE,
    last_probe     TIMESTAMPTZ,
    last_sync      TIMESTAMPTZ,
    last_change    TIMESTAMPTZ,
    last_reconcile TIMESTAMPTZ,
    sync_ms        BIGINT      NOT NULL DEFAULT 0,
    last_error     TEXT        NOT NULL DEFAULT '',
    last_error_at  TIMESTAMPTZ,
    check_result   JSONB
);

CREATE TABLE mirror_groups (
    company   TEXT   NOT NULL,
    master_id BIGINT NOT NULL,
    alter_id  BIGINT NOT NULL,
    guid      TEXT   NOT NULL DEFAULT '',
    name      TEXT   NOT NULL,
    name_key  TEXT   NOT NULL,
    parent    TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (company, master_id)
);

CREATE TABLE mirror_ledgers (
    company       TEXT    NOT NULL,
    master_id     BIGINT  NOT NULL,
    alter_id      BIGINT  NOT NULL,
    guid          TEXT    NOT NULL DEFAULT '',
    name          TEXT    NOT NULL,
    name_key      TEXT    NOT NULL,
    parent        TEXT    NOT NULL DEFAULT '',
    parent_key    TEXT    NOT NULL DEFAULT '',
    mobile        TEXT    NOT NULL DEFAULT '',
    mobile_e164   TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    state         TEXT    NOT NULL DEFAULT '',
    gstin         TEXT    NOT NULL DEFAULT '',
    bill_wise     BOOLEAN NOT NULL DEFAULT FALSE,
    credit_period TEXT    NOT NULL DEFAULT '',
    credit_days   INT,
    opening       BIGINT  NOT NULL DEFAULT 0,
    closing       BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (company, master_id)
);
CREATE INDEX mirror_ledgers_name ON mirror_ledgers (company, name_key);
CREATE INDEX mirror_ledgers_parent ON mirror_ledgers (company, parent_key, name_key);
CREATE INDEX mirror_ledgers_mobile ON mirror_ledgers (company, mobile_e164) WHERE mobile_e164 <> '';

CREATE TABLE mirror_vouchers (
    company   TEXT    NOT NULL,
    master_id BIGINT  NOT NULL,
    alter_id  BIGINT  NOT NULL,
    guid      TEXT    NOT NULL DEFAULT '',
    remote_id TEXT    NOT NULL DEFAULT '',
    vtype     TEXT    NOT NULL DEFAULT '',
    number    TEXT    NOT NULL DEFAULT '',
    date      DATE,
    party     TEXT    NOT NULL DEFAULT '',
    narration TEXT    NOT NULL DEFAULT '',
    cancelled BOOLEAN NOT NULL DEFAULT FALSE,
    optional  BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (company, master_id)
);

CREATE TABLE mirror_entries (
    company    TEXT   NOT NULL,
    voucher_id BIGINT NOT NULL,
    line       INT    NOT NULL,
    ledger     TEXT   NOT NULL,
    ledger_key TEXT   NOT NULL,
    amount     BIGINT NOT NULL,
    PRIMARY KEY (company, voucher_id, line)
);
CREATE INDEX mirror_entries_ledger ON mirror_entries (company, ledger_key);

CREATE TABLE mirror_bill_allocs (
    company    TEXT   NOT NULL,
    voucher_id BIGINT NOT NULL,
    line       INT    NOT NULL,
    seq        INT    NOT NULL,
    ledger_key TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    btype      TEXT   NOT NULL,
    amount     BIGINT NOT NULL,
    due        DATE,
    PRIMARY KEY (company, voucher_id, line, seq)
);
CREATE INDEX mirror_bill_allocs_ledger ON mirror_bill_allocs (company, ledger_key, name);

CREATE TABLE mirror_inventory (
    company    TEXT   NOT NULL,
    voucher_id BIGINT NOT NULL,
    line       INT    NOT NULL,
    item       TEXT   NOT NULL,
    quantity   TEXT   NOT NULL DEFAULT '',
    rate       TEXT   NOT NULL DEFAULT '',
    amount     BIGINT NOT NULL,
    PRIMARY KEY (company, voucher_id, line)
);

CREATE TABLE mirror_bills (
    company    TEXT   NOT NULL,
    ledger_key TEXT   NOT NULL,
    ref        TEXT   NOT NULL,
    party      TEXT   NOT NULL,
    bill_date  DATE,
    due        DATE,
    pending    BIGINT NOT NULL,
    PRIMARY KEY (company, ledger_key, ref)
);

-- +goose Down
DROP TABLE mirror_bills;
DROP TABLE mirror_inventory;
DROP TABLE mirror_bill_allocs;
DROP TABLE mirror_entries;
DROP TABLE mirror_vouchers;
DROP TABLE mirror_ledgers;
DROP TABLE mirror_groups;
DROP TABLE mirror_sync;
