-- Heliograph schema 4: the sender ids an account may use, and its default one.
CREATE TABLE senders (
    account_id TEXT NOT NULL,
    sender     TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    PRIMARY KEY (account_id, sender)
) WITHOUT ROWID;
