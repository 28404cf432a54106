-- Heliograph schema 11: address books of contacts and text templates, per account
-- (store/sqlite_books.py, docs/books.md).
-- contacts.groups and contacts.fields: JSON (a sorted array of names; an object of
--   lower-case field names to values), read back as they are; contact_groups holds
--   the same groups again, one row each, for ?group= and Book::Group.
CREATE TABLE address_books (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;
CREATE TABLE contacts (
    account_id TEXT NOT NULL,
    book TEXT NOT NULL,
    number TEXT NOT NULL,
    name TEXT,
    groups TEXT NOT NULL DEFAULT '[]',
    fields TEXT NOT NULL DEFAULT '{}',
    updated_at REAL NOT NULL,
    PRIMARY KEY (account_id, book, number)
) WITHOUT ROWID;
CREATE TABLE contact_groups (
    account_id TEXT NOT NULL,
    book TEXT NOT NULL,
    grp TEXT NOT NULL,
    number TEXT NOT NULL,
    PRIMARY KEY (account_id, book, grp, number)
) WITHOUT ROWID;
CREATE TABLE templates (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;
