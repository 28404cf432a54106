-- Heliograph schema 7 (PostgreSQL): which node holds receiver binds of which
-- SMPP client account, so that receipts and MO for the account ("smpp" outbox
-- events) are delivered by that node, whichever node wrote them.
--
-- A node claims "smpp" events only for the accounts it holds a receiver bind
-- of, and those of accounts bound on no live node (held: they are retried
-- and dropped by age as on SQLite). Rows of dead nodes are removed when a
-- survivor takes them over; until then the claim checks that the node lives.
CREATE TABLE client_binds (
    account_id TEXT NOT NULL,
    node       TEXT NOT NULL,
    since      DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, node)
);
CREATE INDEX client_binds_node ON client_binds (node);

-- A new "smpp" event wakes the nodes listening (LISTEN heliograph_outbox); the
-- payload is "<schema>/<account id>", so that clusters in several schemas of
-- one database can tell their events apart. Notifications are sent at commit,
-- and identical ones of one transaction only once.
CREATE FUNCTION heliograph_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('heliograph_outbox', current_schema() || '/' || NEW.account_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER callbacks_smpp_notify AFTER INSERT ON callbacks
    FOR EACH ROW WHEN (NEW.format = 'smpp') EXECUTE FUNCTION heliograph_outbox_notify();
