-- Heliograph schema 2 (PostgreSQL): gateway nodes and their heartbeats, and
-- leases on limited upstream resources (binds).
--
-- A node row is one incarnation of a gateway process: id is unique per start,
-- name is stable across restarts (a restarted node knows its previous
-- incarnations by name). A node is alive while stopped_at is NULL and
-- expires_at (renewed by heartbeats) is in the future; once it is neither,
-- a survivor takes over its parts and sets taken_over_at.
CREATE TABLE nodes (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    started_at    DOUBLE PRECISION NOT NULL,
    heartbeat_at  DOUBLE PRECISION NOT NULL,
    expires_at    DOUBLE PRECISION NOT NULL,
    stopped_at    DOUBLE PRECISION,
    taken_over_at DOUBLE PRECISION
);
CREATE INDEX nodes_name ON nodes (name);

-- One row per slot of a resource (a connector configured with N binds has
-- slots 0..N-1), so at most N holders exist by construction. A lease whose
-- expires_at has passed is free for anyone to take.
CREATE TABLE leases (
    resource    TEXT NOT NULL,
    slot        INTEGER NOT NULL CHECK (slot >= 0),
    node        TEXT NOT NULL,
    acquired_at DOUBLE PRECISION NOT NULL,
    renewed_at  DOUBLE PRECISION NOT NULL,
    expires_at  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (resource, slot)
);
CREATE INDEX leases_node ON leases (node);
