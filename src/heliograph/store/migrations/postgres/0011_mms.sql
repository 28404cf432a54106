-- Heliograph schema 11 (PostgreSQL): composed MMS kept for handsets to fetch, as
-- SQLite's schemas 7 and 9 (store/postgres_content.py, docs/content.md).
-- token: the unguessable part of the fetch URL (/mms/<token>/<message id>), one per
--   request; every recipient's m-notification-ind points at it with its own message id.
-- pdu: the m-retrieve-conf (OMA-MMS-ENC §6.3) a fetch answers with.
-- expires_at: after it the URL answers 404 and the row may be removed.
-- fetches / first_fetched_at: how often and since when handsets fetched it.
-- adapt: whether images may be resized to the fetching handset (csoft
--   DisableRepurposing=1 and REST "disable_repurposing": true store FALSE).
CREATE TABLE mms_content (
    token            TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts(id),
    pdu              BYTEA NOT NULL,
    created_at       DOUBLE PRECISION NOT NULL,
    expires_at       DOUBLE PRECISION NOT NULL,
    fetches          INTEGER NOT NULL DEFAULT 0,
    first_fetched_at DOUBLE PRECISION,
    adapt            BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX mms_content_expires ON mms_content (expires_at);
