-- Heliograph schema 14 (SQLite): replies and receipts forwarded by e-mail.
-- accounts.email: the address MO routes with method 'email' mail to, and status
-- events when email_receipts is 'also' (besides the callback URL) or 'only'.
-- mo_routes.method gains 'email' (SQLite cannot change a CHECK in place, so the
-- table is copied: ids, and so the route order, are kept).
ALTER TABLE accounts ADD COLUMN email TEXT;
ALTER TABLE accounts ADD COLUMN email_receipts TEXT NOT NULL DEFAULT 'off'
    CHECK (email_receipts IN ('off', 'also', 'only'));

CREATE TABLE mo_routes_14 (
    id         INTEGER PRIMARY KEY,
    number     TEXT NOT NULL,
    keyword    TEXT,
    account_id TEXT NOT NULL,
    method     TEXT NOT NULL CHECK (method IN ('http', 'smpp', 'email')),
    url        TEXT,
    created_at REAL NOT NULL,
    format     TEXT NOT NULL DEFAULT 'json'
);
INSERT INTO mo_routes_14 (id, number, keyword, account_id, method, url, created_at, format)
    SELECT id, number, keyword, account_id, method, url, created_at, format FROM mo_routes;
DROP TABLE mo_routes;
ALTER TABLE mo_routes_14 RENAME TO mo_routes;
CREATE UNIQUE INDEX mo_routes_match ON mo_routes (number, COALESCE(keyword, ''));
