-- Heliograph schema 18 (PostgreSQL): a message's SMPP optional parameters, as SQLite's
-- schema 18 (a JSON list of [tag, hex value]). NULL: none.
ALTER TABLE messages ADD COLUMN tlvs TEXT;
