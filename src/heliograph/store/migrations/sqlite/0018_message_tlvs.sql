-- Heliograph schema 18 (SQLite): SMPP optional parameters every submit_sm of the
-- message carries (Kannel's meta-data), a JSON list of [tag, hex value]. NULL: none.
ALTER TABLE messages ADD COLUMN tlvs TEXT;
