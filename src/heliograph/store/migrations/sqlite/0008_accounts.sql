-- Heliograph schema 8: account administration. is_admin accounts may manage
-- other accounts through the admin API; ip_allowlist (comma-separated
-- addresses and networks) limits where an account may connect from, on every
-- interface; empty means anywhere.
ALTER TABLE accounts ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN ip_allowlist TEXT NOT NULL DEFAULT '';
UPDATE accounts SET is_admin = 1 WHERE name = 'admin';
