-- Heliograph schema 9: whether a stored MMS may be adapted to the fetching handset
-- (images resized to its screen; csoft DisableRepurposing=1 and REST
-- "disable_repurposing": true store 0).
ALTER TABLE mms_content ADD COLUMN adapt INTEGER NOT NULL DEFAULT 1;
