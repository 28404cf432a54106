-- Heliograph schema 6 (PostgreSQL): binary content and the finer points of
-- text, as SQLite's schema 6 (the client's own UDH is in schema 1 already).
-- payload: the octets of a binary message (WAP Push, vCard, OTA...), split into
--   parts with split_binary; NULL for text messages.
-- dest_port / src_port: TS 23.040 §9.2.3.24.4 application port addressing.
-- message_class: TS 23.038 §4 message class (0 = flash); NULL when none is asked.
-- languages: national language shift tables allowed for this text (TS 23.038
--   Annex A); NULL for the default alphabet only.
ALTER TABLE messages ADD COLUMN payload BYTEA;
ALTER TABLE messages ADD COLUMN dest_port INTEGER;
ALTER TABLE messages ADD COLUMN src_port INTEGER;
ALTER TABLE messages ADD COLUMN message_class INTEGER;
ALTER TABLE messages ADD COLUMN languages INTEGER[];
