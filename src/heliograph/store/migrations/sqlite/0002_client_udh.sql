-- Heliograph schema 2: a message may carry the client's own user data header
-- (an SMPP client that segments its text itself); the text is then one part.
ALTER TABLE messages ADD COLUMN udh BLOB;
