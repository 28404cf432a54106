-- Heliograph schema 1: accounts, messages and parts, receipts awaiting their
-- submit response, idempotency keys, the client callback outbox.
CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    callback_url    TEXT,
    callback_secret TEXT NOT NULL,
    created_at      REAL NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE credentials (
    kind        TEXT NOT NULL,
    lookup      TEXT NOT NULL,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    secret_hash TEXT NOT NULL,
    created_at  REAL NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, lookup)
);

CREATE TABLE messages (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    sender       TEXT,
    text         TEXT NOT NULL,
    encoding     TEXT NOT NULL,
    data_coding  INTEGER NOT NULL,
    parts        INTEGER NOT NULL,
    concat_ref   INTEGER NOT NULL,
    state        TEXT NOT NULL,
    reference    TEXT,
    callback_url TEXT,
    callback_format TEXT NOT NULL,
    priority     INTEGER NOT NULL,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL,
    due_at       REAL NOT NULL,
    expires_at   REAL,
    error        TEXT
) WITHOUT ROWID;
CREATE INDEX messages_account ON messages (account_id, id);
CREATE INDEX messages_scheduled ON messages (due_at) WHERE state = 'scheduled';

CREATE TABLE parts (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    state       TEXT NOT NULL,
    priority    INTEGER NOT NULL,
    due_at      REAL NOT NULL,
    expires_at  REAL,
    connector   TEXT,
    upstream_id TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    updated_at  REAL NOT NULL
);
CREATE UNIQUE INDEX parts_message ON parts (message_id, seq);
CREATE INDEX parts_queued ON parts (priority DESC, due_at) WHERE state = 'queued';
CREATE INDEX parts_sending ON parts (id) WHERE state = 'sending';
CREATE INDEX parts_upstream ON parts (upstream_id, connector) WHERE upstream_id IS NOT NULL;

CREATE TABLE pending_receipts (
    id          INTEGER PRIMARY KEY,
    connector   TEXT NOT NULL,
    upstream_id TEXT NOT NULL,
    state       TEXT NOT NULL,
    error       TEXT,
    at          REAL NOT NULL,
    received_at REAL NOT NULL
);
CREATE INDEX pending_receipts_upstream ON pending_receipts (upstream_id, connector);

CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL,
    key        TEXT NOT NULL,
    created_at REAL NOT NULL,
    status     INTEGER NOT NULL,
    body       BLOB NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;

CREATE TABLE callbacks (
    id              INTEGER PRIMARY KEY,
    account_id      TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    url             TEXT NOT NULL,
    format          TEXT NOT NULL,
    body            BLOB NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    created_at      REAL NOT NULL,
    last_error      TEXT
);
CREATE INDEX callbacks_due ON callbacks (next_attempt_at);
