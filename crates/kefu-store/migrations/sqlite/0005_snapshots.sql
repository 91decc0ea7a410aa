-- kefu schema, version 5: named snapshots of the whole state. Each is one
-- export document (JSON text), written in one transaction and restored by
-- one import, so a crash leaves the old state or the new one, never a mix.
-- `created_at` is unix seconds on the virtual clock.

CREATE TABLE snapshots (
    name       TEXT PRIMARY KEY,
    document   TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
