-- Heliograph schema 16 (PostgreSQL): reserved credit, as SQLite's schema 16.
-- accounts.balance_micros stays the available balance; reserved_micros is what
-- parts still on their way hold until their final state settles or refunds it.
-- A part accepted under settle = "delivery" is marked reserved.
-- Every ledger row says what it is (kind) and how it changed the reserve
-- (reserve_change_micros), so that the sum of amount_micros is the balance
-- and the sum of reserve_change_micros is the reserved amount.
ALTER TABLE accounts ADD COLUMN reserved_micros BIGINT NOT NULL DEFAULT 0
    CHECK (reserved_micros >= 0);
ALTER TABLE parts ADD COLUMN reserved BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE ledger ADD COLUMN kind TEXT NOT NULL DEFAULT 'adjust';
ALTER TABLE ledger ADD COLUMN reserve_change_micros BIGINT NOT NULL DEFAULT 0;
UPDATE ledger SET kind = 'refund' WHERE reason LIKE 'refund:%';
UPDATE ledger SET kind = 'charge' WHERE reason LIKE '% messages' AND amount_micros < 0;
-- Sent parts waiting for the receipt that settles their price (only reserved
-- ones: with settle = "submit" nothing enters this index).
CREATE INDEX parts_reserved_sent ON parts (expires_at) WHERE state = 'sent' AND reserved;
