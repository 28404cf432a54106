-- Heliograph schema 12: an account's own protective rules (JSON object of
-- overrides: rate_per_s, burst, duplicates, floods, quiet_hours); {} keeps the
-- gateway's [protection] settings.
ALTER TABLE accounts ADD COLUMN rules TEXT NOT NULL DEFAULT '{}';
