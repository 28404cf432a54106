-- Heliograph schema 5: MO routes and MO messages, opt-out lists with their
-- consent records, test mode (per account and per message).

-- number: digits; a trailing '*' makes it a prefix, '*' alone matches every number.
-- keyword: the case-folded first word, or NULL for any text.
CREATE TABLE mo_routes (
    id         INTEGER PRIMARY KEY,
    number     TEXT NOT NULL,
    keyword    TEXT,
    account_id TEXT NOT NULL,
    method     TEXT NOT NULL CHECK (method IN ('http', 'smpp')),
    url        TEXT,
    created_at REAL NOT NULL
);
CREATE UNIQUE INDEX mo_routes_match ON mo_routes (number, COALESCE(keyword, ''));

-- account_id NULL: no route matched.
CREATE TABLE mo_messages (
    id          TEXT PRIMARY KEY,
    connector   TEXT NOT NULL,
    sender      TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    text        TEXT NOT NULL,
    received_at REAL NOT NULL,
    incomplete  INTEGER NOT NULL DEFAULT 0,
    account_id  TEXT,
    route_id    INTEGER,
    keyword     TEXT,
    action      TEXT
) WITHOUT ROWID;
CREATE INDEX mo_messages_account ON mo_messages (account_id, id);

-- The numbers an account may not send to, each with the consent change that put it there.
CREATE TABLE optouts (
    account_id TEXT NOT NULL,
    number     TEXT NOT NULL,
    since      REAL NOT NULL,
    source     TEXT NOT NULL,
    mo_id      TEXT,
    keyword    TEXT,
    reason     TEXT,
    PRIMARY KEY (account_id, number)
) WITHOUT ROWID;

-- Every consent change, kept for good (opt-outs and opt-ins alike).
CREATE TABLE consents (
    id         INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    number     TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('opt_out', 'opt_in')),
    at         REAL NOT NULL,
    source     TEXT NOT NULL,
    mo_id      TEXT,
    keyword    TEXT,
    reason     TEXT
);
CREATE INDEX consents_number ON consents (account_id, number, id);

ALTER TABLE accounts ADD COLUMN test_mode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN test INTEGER NOT NULL DEFAULT 0;
