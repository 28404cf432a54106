-- Heliograph schema 17 (PostgreSQL): a message's own connector, as SQLite's schema 17.
-- NULL: the routes choose a connector for each part when it is sent.
ALTER TABLE messages ADD COLUMN connector TEXT;
