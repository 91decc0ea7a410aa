-- kefu schema, version 5: named snapshots of the whole state. `snapshots`
-- names each (with when it was saved, virtual clock, and its row count);
-- `snap_<table>` holds a copy of every exported row of `<table>` per
-- snapshot (the columns of the export document, keyed by snapshot and the
-- table's primary key). Saving one is one transaction of copies, restoring
-- one another (rows that differ are deleted, missing ones copied back), so
-- a crash leaves the old state or the new one, never a mix, and never
-- loses the snapshot being restored from.

CREATE TABLE snapshots (
    name       TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    row_count  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE snap_meta (
    snapshot TEXT NOT NULL,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (snapshot, key)
) WITHOUT ROWID;

CREATE TABLE snap_apps (
    snapshot     TEXT NOT NULL,
    appid        TEXT NOT NULL,
    secret       TEXT NOT NULL,
    account_type TEXT NOT NULL,
    certified    INTEGER NOT NULL,
    wechat_id    TEXT NOT NULL,
    original_id  TEXT NOT NULL,
    kf_enabled   INTEGER NOT NULL,
    next_kf_id   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    ip_whitelist TEXT NOT NULL,
    quotas       TEXT NOT NULL,
    PRIMARY KEY (snapshot, appid)
) WITHOUT ROWID;

CREATE TABLE snap_tokens (
    snapshot      TEXT NOT NULL,
    token         TEXT NOT NULL,
    appid         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    issued_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    invalid_after INTEGER,
    via           TEXT,
    PRIMARY KEY (snapshot, token)
) WITHOUT ROWID;

CREATE TABLE snap_current_tokens (
    snapshot TEXT NOT NULL,
    appid    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    token    TEXT NOT NULL,
    PRIMARY KEY (snapshot, appid, kind)
) WITHOUT ROWID;

CREATE TABLE snap_counters (
    snapshot     TEXT NOT NULL,
    appid        TEXT NOT NULL,
    key          TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    PRIMARY KEY (snapshot, appid, key)
) WITHOUT ROWID;

CREATE TABLE snap_kf_accounts (
    snapshot           TEXT NOT NULL,
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
    PRIMARY KEY (snapshot, appid, kf_account)
) WITHOUT ROWID;

CREATE TABLE snap_headimgs (
    snapshot     TEXT NOT NULL,
    appid        TEXT NOT NULL,
    kf_account   TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    PRIMARY KEY (snapshot, appid, kf_account)
);

CREATE TABLE snap_wechat_users (
    snapshot TEXT NOT NULL,
    wx       TEXT NOT NULL,
    invalid  INTEGER NOT NULL,
    PRIMARY KEY (snapshot, wx)
) WITHOUT ROWID;

CREATE TABLE snap_fans (
    snapshot      TEXT NOT NULL,
    appid         TEXT NOT NULL,
    openid        TEXT NOT NULL,
    subscribed    INTEGER NOT NULL,
    followed_at   INTEGER NOT NULL,
    ever_followed INTEGER NOT NULL,
    msg_left      INTEGER NOT NULL,
    msg_until     INTEGER NOT NULL,
    evt_left      INTEGER NOT NULL,
    evt_until     INTEGER NOT NULL,
    last_contact  INTEGER,
    typing_until  INTEGER,
    PRIMARY KEY (snapshot, appid, openid)
) WITHOUT ROWID;

CREATE TABLE snap_sessions (
    snapshot    TEXT NOT NULL,
    appid       TEXT NOT NULL,
    openid      TEXT NOT NULL,
    kf_account  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    last_msg_at INTEGER NOT NULL,
    PRIMARY KEY (snapshot, appid, openid)
) WITHOUT ROWID;

CREATE TABLE snap_waitcases (
    snapshot    TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    appid       TEXT NOT NULL,
    openid      TEXT NOT NULL,
    kf_account  TEXT,
    arrived_at  INTEGER NOT NULL,
    latest_time INTEGER NOT NULL,
    PRIMARY KEY (snapshot, seq)
) WITHOUT ROWID;

CREATE TABLE snap_messages (
    snapshot TEXT NOT NULL,
    msgid    INTEGER NOT NULL,
    appid    TEXT NOT NULL,
    openid   TEXT NOT NULL,
    worker   TEXT,
    opercode INTEGER NOT NULL,
    msgtype  TEXT NOT NULL,
    text     TEXT NOT NULL,
    detail   TEXT NOT NULL,
    time     INTEGER NOT NULL,
    PRIMARY KEY (snapshot, msgid)
);

CREATE TABLE snap_components (
    snapshot        TEXT NOT NULL,
    component_appid TEXT NOT NULL,
    secret          TEXT NOT NULL,
    ip_whitelist    TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (snapshot, component_appid)
) WITHOUT ROWID;

CREATE TABLE snap_tickets (
    snapshot        TEXT NOT NULL,
    ticket          TEXT NOT NULL,
    component_appid TEXT NOT NULL,
    issued_at       INTEGER NOT NULL,
    PRIMARY KEY (snapshot, ticket)
) WITHOUT ROWID;

CREATE TABLE snap_authorizations (
    snapshot         TEXT NOT NULL,
    component_appid  TEXT NOT NULL,
    appid            TEXT NOT NULL,
    perm_sets        TEXT NOT NULL,
    authorized_at    INTEGER NOT NULL,
    refresh_token    TEXT NOT NULL,
    previous_refresh TEXT,
    previous_until   INTEGER,
    current_token    TEXT,
    PRIMARY KEY (snapshot, component_appid, appid)
) WITHOUT ROWID;

CREATE TABLE snap_callbacks (
    snapshot         TEXT NOT NULL,
    appid            TEXT NOT NULL,
    url              TEXT NOT NULL,
    token            TEXT NOT NULL,
    encoding_aes_key TEXT,
    mode             TEXT NOT NULL,
    format           TEXT NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (snapshot, appid)
) WITHOUT ROWID;

CREATE TABLE snap_outbox (
    snapshot   TEXT NOT NULL,
    id         INTEGER NOT NULL,
    appid      TEXT NOT NULL,
    openid     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    nonce      INTEGER NOT NULL,
    event      TEXT NOT NULL,
    msgid      INTEGER,
    a          TEXT NOT NULL,
    b          TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    PRIMARY KEY (snapshot, id)
) WITHOUT ROWID;

CREATE TABLE snap_deliveries (
    snapshot   TEXT NOT NULL,
    id         INTEGER NOT NULL,
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
    last       INTEGER NOT NULL,
    PRIMARY KEY (snapshot, id)
);
