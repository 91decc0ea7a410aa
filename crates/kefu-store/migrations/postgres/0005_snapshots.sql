-- kefu schema, version 5 (as migrations/sqlite/0005): named snapshots of the
-- whole state. Each is one export document (JSON text), written in one
-- transaction and restored by one import: a crash leaves the old state or the new one.
-- `created_at` is unix seconds on the virtual clock.

CREATE TABLE snapshots (
    name       TEXT PRIMARY KEY,
    document   TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
