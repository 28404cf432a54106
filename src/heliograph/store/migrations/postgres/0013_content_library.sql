-- Heliograph schema 13 (PostgreSQL): the content library, as SQLite's schema 13
-- (store/postgres_library.py, docs/content.md "Content library").
-- number: the library number, unique across the gateway, in the csoft range of its kind
--   (80000-89999 files, 20000-29999 picture messages, 10000-19999 logos and group graphics).
-- account_id: the owner; NULL for public content (uploaded by an admin account), which
--   every account may send.
-- data: the file as uploaded (kind 'file') or the OTA bitmap (kinds 'picture', 'logo').
CREATE TABLE content_library (
    number       INTEGER PRIMARY KEY,
    account_id   TEXT REFERENCES accounts(id),
    kind         TEXT NOT NULL CHECK (kind IN ('file', 'picture', 'logo')),
    file_name    TEXT,
    content_type TEXT,
    data         BYTEA NOT NULL,
    created_at   DOUBLE PRECISION NOT NULL
);
CREATE INDEX content_library_account ON content_library (account_id, number);
