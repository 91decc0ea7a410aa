-- kefu schema, version 1: apps, tokens, counters, kf accounts, workers,
-- avatars, followers and sessions. Times are unix seconds on the virtual clock.
-- Small-row tables are WITHOUT ROWID: one b-tree per table, so a lookup is
-- one search and a write dirties one page.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE apps (
    appid        TEXT PRIMARY KEY,
    secret       TEXT NOT NULL,
    account_type TEXT NOT NULL,
    certified    INTEGER NOT NULL,
    wechat_id    TEXT NOT NULL,
    original_id  TEXT NOT NULL,
    kf_enabled   INTEGER NOT NULL,
    next_kf_id   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE tokens (
    token         TEXT PRIMARY KEY,
    appid         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    issued_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    invalid_after INTEGER
) WITHOUT ROWID;
CREATE INDEX tokens_by_app ON tokens (appid, expires_at);

-- The latest token of each kind, per app.
CREATE TABLE current_tokens (
    appid TEXT NOT NULL,
    kind  TEXT NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (appid, kind)
) WITHOUT ROWID;

CREATE TABLE counters (
    appid        TEXT NOT NULL,
    key          TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    PRIMARY KEY (appid, key)
) WITHOUT ROWID;

CREATE TABLE kf_accounts (
    appid              TEXT NOT NULL,
    kf_account         TEXT NOT NULL,
    kf_id              INTEGER NOT NULL,
    nickname           TEXT NOT NULL,
    headimg_version    INTEGER NOT NULL,
    worker             TEXT,
    online             INTEGER NOT NULL,
    invite_wx          TEXT,
    invite_expire_time INTEGER,
    invite_rejected    INTEGER NOT NULL,
    PRIMARY KEY (appid, kf_account)
) WITHOUT ROWID;
CREATE INDEX kf_accounts_by_worker ON kf_accounts (worker);

CREATE TABLE headimgs (
    appid        TEXT NOT NULL,
    kf_account   TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    PRIMARY KEY (appid, kf_account)
);

CREATE TABLE wechat_users (
    wx      TEXT PRIMARY KEY,
    invalid INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE fans (
    appid       TEXT NOT NULL,
    openid      TEXT NOT NULL,
    subscribed  INTEGER NOT NULL,
    followed_at INTEGER NOT NULL,
    PRIMARY KEY (appid, openid)
) WITHOUT ROWID;

-- Open sessions only: a follower is in at most one (the primary key).
-- No index by kf account: one would dirty a page per account in every
-- commit; per-account questions scan the app's open sessions instead.
CREATE TABLE sessions (
    appid      TEXT NOT NULL,
    openid     TEXT NOT NULL,
    kf_account TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (appid, openid)
) WITHOUT ROWID;
