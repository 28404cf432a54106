-- Heliograph schema 17 (SQLite): a message's own connector, chosen by the client
-- (Kannel's smsc). NULL: the routes choose a connector for each part when it is sent.
ALTER TABLE messages ADD COLUMN connector TEXT;
