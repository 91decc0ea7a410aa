-- kefu schema, version 4: pushes to the developer's server (as
-- migrations/sqlite/0004). Each app's push settings, the outbox of pushes
-- not yet delivered (each claimed by one dispatcher at a time, its `owner`),
-- the dispatchers' heartbeats (milliseconds, real time), the delivery log,
-- and an index to find idle sessions. Ids come from sequences: they only
-- grow, and are never handed out again.

CREATE TABLE callbacks (
    appid            TEXT PRIMARY KEY,
    url              TEXT NOT NULL,
    token            TEXT NOT NULL,
    encoding_aes_key TEXT,
    mode             TEXT NOT NULL,
    format           TEXT NOT NULL,
    updated_at       BIGINT NOT NULL
);

-- `nonce` is the u64 bit-cast to a BIGINT; the event is its name, message
-- id and two texts (`PushEvent::to_parts`).
CREATE TABLE outbox (
    id         BIGSERIAL PRIMARY KEY,
    appid      TEXT NOT NULL,
    openid     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    nonce      BIGINT NOT NULL,
    event      TEXT NOT NULL,
    msgid      BIGINT,
    a          TEXT NOT NULL,
    b          TEXT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    owner      TEXT
);
-- Claims walk the apps with unclaimed pushes and take each one's oldest.
CREATE INDEX outbox_unclaimed ON outbox (appid, id) WHERE owner IS NULL;
-- Claimed pushes by owner: a silent process's claims are freed in one step.
CREATE INDEX outbox_claimed ON outbox (owner) WHERE owner IS NOT NULL;
-- By follower: a follower's later push is not claimed while another
-- process holds an earlier one (their order is kept across processes).
CREATE INDEX outbox_by_follower ON outbox (appid, openid, id);

CREATE TABLE push_instances (
    owner   TEXT PRIMARY KEY,
    seen_ms BIGINT NOT NULL
);

CREATE TABLE deliveries (
    id         BIGSERIAL PRIMARY KEY,
    push_id    BIGINT NOT NULL,
    appid      TEXT NOT NULL,
    openid     TEXT NOT NULL,
    event      TEXT NOT NULL,
    attempt    BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    url        TEXT NOT NULL,
    request    TEXT NOT NULL,
    status     BIGINT,
    response   TEXT NOT NULL,
    latency_ms BIGINT NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    last       BOOLEAN NOT NULL
);
CREATE INDEX deliveries_by_app ON deliveries (appid, id);

CREATE INDEX sessions_idle ON sessions (last_msg_at);

-- A component's latest ticket (the 10-minute push issues the next one).
CREATE INDEX tickets_by_component ON tickets (component_appid, issued_at);
