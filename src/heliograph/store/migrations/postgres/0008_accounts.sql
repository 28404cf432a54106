-- Heliograph schema 8 (PostgreSQL): account administration, as SQLite's schema 8.
-- is_admin accounts may manage other accounts through the admin API;
-- ip_allowlist (comma-separated addresses and networks) limits where an account
-- may connect from, on every interface; empty means anywhere.
ALTER TABLE accounts ADD COLUMN is_admin BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE accounts ADD COLUMN ip_allowlist TEXT NOT NULL DEFAULT '';
UPDATE accounts SET is_admin = TRUE WHERE name = 'admin';
