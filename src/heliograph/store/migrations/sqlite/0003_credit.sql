-- Heliograph schema 2: credit. Balances and prices are whole micro-units
-- (10^-6 of the account's currency); every change of a balance is a ledger row.
ALTER TABLE accounts ADD COLUMN balance_micros INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN currency TEXT NOT NULL DEFAULT 'EUR';
ALTER TABLE messages ADD COLUMN price_micros INTEGER NOT NULL DEFAULT 0;

-- account_id '' is the gateway-wide price list.
CREATE TABLE prices (
    account_id   TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    price_micros INTEGER NOT NULL CHECK (price_micros >= 0),
    PRIMARY KEY (account_id, prefix)
) WITHOUT ROWID;

CREATE TABLE ledger (
    id             INTEGER PRIMARY KEY,
    account_id     TEXT NOT NULL,
    amount_micros  INTEGER NOT NULL,
    balance_micros INTEGER NOT NULL,
    reason         TEXT NOT NULL,
    at             REAL NOT NULL
);
CREATE INDEX ledger_account ON ledger (account_id, id);
