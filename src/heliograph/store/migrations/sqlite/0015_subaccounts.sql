-- Heliograph schema 15: sub-accounts. An account may have a parent account (one
-- level: a parent has no parent itself), which sees its messages, funds it by
-- moving credit and manages its keys, senders and prices. '' is no parent.
ALTER TABLE accounts ADD COLUMN parent_id TEXT NOT NULL DEFAULT '';
CREATE INDEX accounts_parent ON accounts (parent_id) WHERE parent_id <> '';
