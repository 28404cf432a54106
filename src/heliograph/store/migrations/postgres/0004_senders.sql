-- Heliograph schema 4 (PostgreSQL): the sender ids an account may use, and its
-- default one (as SQLite's schema 4).
CREATE TABLE senders (
    account_id TEXT NOT NULL,
    sender     TEXT NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, sender)
);
