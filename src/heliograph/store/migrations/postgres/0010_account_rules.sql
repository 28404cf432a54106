-- Heliograph schema 10 (PostgreSQL): an account's own protective rules, as on
-- SQLite (schema 12): a JSON object of overrides; {} keeps the gateway's.
ALTER TABLE accounts ADD COLUMN rules TEXT NOT NULL DEFAULT '{}';
