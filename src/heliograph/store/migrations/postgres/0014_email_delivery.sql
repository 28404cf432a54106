-- Heliograph schema 14 (PostgreSQL): replies and receipts forwarded by e-mail,
-- as SQLite's schema 14: the account's address and whether its status events
-- are mailed ('off', 'also' besides the callback URL, 'only'); MO routes with
-- method 'email'.
ALTER TABLE accounts ADD COLUMN email TEXT;
ALTER TABLE accounts ADD COLUMN email_receipts TEXT NOT NULL DEFAULT 'off'
    CHECK (email_receipts IN ('off', 'also', 'only'));
ALTER TABLE mo_routes DROP CONSTRAINT mo_routes_method_check;
ALTER TABLE mo_routes ADD CONSTRAINT mo_routes_method_check
    CHECK (method IN ('http', 'smpp', 'email'));
