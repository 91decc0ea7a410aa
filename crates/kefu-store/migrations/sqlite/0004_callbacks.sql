-- kefu schema, version 4: pushes to the developer's server. Each app's push
-- settings, the outbox of pushes not yet delivered (each claimed by one
-- dispatcher at a time, its `owner`), the dispatchers' heartbeats, the
-- delivery log, and an index to find idle sessions. Times are unix seconds
-- on the virtual clock, except heartbeats (milliseconds, real time).

CREATE TABLE callbacks (
    appid            TEXT PRIMARY KEY,
    url              TEXT NOT NULL,
    token            TEXT NOT NULL,
    encoding_aes_key TEXT,
    mode             TEXT NOT NULL,
    format           TEXT NOT NULL,
    updated_at       INTEGER NOT NULL
) WITHOUT ROWID;

-- AUTOINCREMENT: an id is never handed out again, not even once the newest
-- push has left the outbox, so ids only grow and the log's stay unambiguous.
-- `nonce` is the u64 bit-cast to a signed integer; the event is its name,
-- message id and two texts (`PushEvent::to_parts`).
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    appid      TEXT NOT NULL,
    openid     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    nonce      INTEGER NOT NULL,
    event      TEXT NOT NULL,
    msgid      INTEGER,
    a          TEXT NOT NULL,
    b          TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    owner      TEXT
);
-- Claims walk the apps with unclaimed pushes and take each one's oldest.
CREATE INDEX outbox_unclaimed ON outbox (appid, id) WHERE owner IS NULL;
-- Claimed pushes by owner: a silent process's claims are freed in one step.
CREATE INDEX outbox_claimed ON outbox (owner) WHERE owner IS NOT NULL;
-- By follower: a follower's later push is not claimed while another
-- process holds an earlier one (their order is kept across processes).
CREATE INDEX outbox_by_follower ON outbox (appid, openid, id);

-- A dispatcher's last sign of life; claims of one silent for too long are
-- taken over.
CREATE TABLE push_instances (
    owner   TEXT PRIMARY KEY,
    seen_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per try; `last` marks a push's final one.
CREATE TABLE deliveries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    push_id    INTEGER NOT NULL,
    appid      TEXT NOT NULL,
    openid     TEXT NOT NULL,
    event      TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    url        TEXT NOT NULL,
    request    TEXT NOT NULL,
    status     INTEGER,
    response   TEXT NOT NULL,
    latency_ms INTEGER NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    last       INTEGER NOT NULL
);
CREATE INDEX deliveries_by_app ON deliveries (appid, id);

-- Idle sessions of every app, oldest first.
CREATE INDEX sessions_idle ON sessions (last_msg_at);

-- A component's latest ticket (the 10-minute push issues the next one).
CREATE INDEX tickets_by_component ON tickets (component_appid, issued_at);
