-- Heliograph schema 12 (PostgreSQL): address books of contacts and text templates,
-- per account, as SQLite's schema 11 (store/postgres_books.py, docs/books.md).
-- Names, numbers and groups sort as SQLite sorts them (COLLATE "C": by code point),
--   so that pages and listings come in the same order on both stores.
-- contacts.groups and contacts.fields: JSON text (a sorted array of names; an object
--   of lower-case field names to values), read back as they are; contact_groups
--   holds the same groups again, one row each, for ?group= and Book::Group.
CREATE TABLE address_books (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name       TEXT COLLATE "C" NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, name)
);
CREATE TABLE contacts (
    account_id TEXT NOT NULL,
    book       TEXT COLLATE "C" NOT NULL,
    number     TEXT COLLATE "C" NOT NULL,
    name       TEXT,
    groups     TEXT NOT NULL DEFAULT '[]',
    fields     TEXT NOT NULL DEFAULT '{}',
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, book, number),
    FOREIGN KEY (account_id, book) REFERENCES address_books (account_id, name)
);
CREATE TABLE contact_groups (
    account_id TEXT NOT NULL,
    book       TEXT COLLATE "C" NOT NULL,
    grp        TEXT COLLATE "C" NOT NULL,
    number     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (account_id, book, grp, number),
    FOREIGN KEY (account_id, book, number) REFERENCES contacts (account_id, book, number)
        ON DELETE CASCADE
);
CREATE TABLE templates (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name       TEXT COLLATE "C" NOT NULL,
    text       TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, name)
);
