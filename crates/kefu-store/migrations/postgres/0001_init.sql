-- kefu schema, version 1: apps, tokens, counters, kf accounts, workers,
-- avatars, followers and sessions. Times are unix seconds on the virtual clock.
-- The same tables and keys as migrations/sqlite/0001_init.sql, in PostgreSQL
-- types: BIGINT for times and numbers, BOOLEAN for flags, BYTEA for images.
-- Tables are created in the schema the connection's search_path names.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE apps (
    appid        TEXT PRIMARY KEY,
    secret       TEXT NOT NULL,
    account_type TEXT NOT NULL,
    certified    BOOLEAN NOT NULL,
    wechat_id    TEXT NOT NULL,
    original_id  TEXT NOT NULL,
    kf_enabled   BOOLEAN NOT NULL,
    next_kf_id   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE tokens (
    token         TEXT PRIMARY KEY,
    appid         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    issued_at     BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    invalid_after BIGINT
);
CREATE INDEX tokens_by_app ON tokens (appid, expires_at);

-- The latest token of each kind, per app.
CREATE TABLE current_tokens (
    appid TEXT NOT NULL,
    kind  TEXT NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (appid, kind)
);

CREATE TABLE counters (
    appid        TEXT NOT NULL,
    key          TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    PRIMARY KEY (appid, key)
);

CREATE TABLE kf_accounts (
    appid              TEXT NOT NULL,
    kf_account         TEXT NOT NULL,
    kf_id              BIGINT NOT NULL,
    nickname           TEXT NOT NULL,
    headimg_version    BIGINT NOT NULL,
    worker             TEXT,
    online             BOOLEAN NOT NULL,
    invite_wx          TEXT,
    invite_expire_time BIGINT,
    invite_rejected    BOOLEAN NOT NULL,
    PRIMARY KEY (appid, kf_account)
);
CREATE INDEX kf_accounts_by_worker ON kf_accounts (worker);

CREATE TABLE headimgs (
    appid        TEXT NOT NULL,
    kf_account   TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         BYTEA NOT NULL,
    PRIMARY KEY (appid, kf_account)
);

CREATE TABLE wechat_users (
    wx      TEXT PRIMARY KEY,
    invalid BOOLEAN NOT NULL
);

CREATE TABLE fans (
    appid       TEXT NOT NULL,
    openid      TEXT NOT NULL,
    subscribed  BOOLEAN NOT NULL,
    followed_at BIGINT NOT NULL,
    PRIMARY KEY (appid, openid)
);

-- Open sessions only: a follower is in at most one (the primary key).
-- Per-account questions scan the app's open sessions (the key's prefix).
CREATE TABLE sessions (
    appid      TEXT NOT NULL,
    openid     TEXT NOT NULL,
    kf_account TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (appid, openid)
);
