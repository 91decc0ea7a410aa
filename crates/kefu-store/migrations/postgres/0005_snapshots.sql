-- kefu schema, version 5 (as migrations/sqlite/0005): named snapshots of
-- the whole state. `snapshots` names each (with when it was saved,
-- virtual clock, and its row count);
-- `snap_<table>` holds a copy of every exported row of `<table>` per
-- snapshot (the columns of the export document, keyed by snapshot and the
-- table's primary key). Saving one is one transaction of copies, restoring
-- one another (rows that differ are deleted, missing ones copied back), so
-- a crash leaves the old state or the new one, never a mix, and never
-- loses the snapshot being restored from.

CREATE TABLE snapshots (
    name       TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    row_count  BIGINT NOT NULL
);

CREATE TABLE snap_meta (
    snapshot TEXT NOT NULL,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (snapshot, key)
);

CREATE TABLE snap_apps (
    snapshot     TEXT NOT NULL,
    appid        TEXT NOT NULL,
    secret       TEXT NOT NULL,
    account_type TEXT NOT NULL,
    certified    BOOLEAN NOT NULL,
    wechat_id    TEXT NOT NULL,
    original_id  TEXT NOT NULL,
    kf_enabled   BOOLEAN NOT NULL,
    next_kf_id   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    ip_whitelist TEXT NOT NULL,
    quotas       TEXT NOT NULL,
    PRIMARY KEY (snapshot, appid)
);

CREATE TABLE snap_tokens (
    snapshot      TEXT NOT NULL,
    token         TEXT NOT NULL,
    appid         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    issued_at     BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    invalid_after BIGINT,
    via           TEXT,
    PRIMARY KEY (snapshot, token)
);

CREATE TABLE snap_current_tokens (
    snapshot TEXT NOT NULL,
    appid    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    token    TEXT NOT NULL,
    PRIMARY KEY (snapshot, appid, kind)
);

CREATE TABLE snap_counters (
    snapshot     TEXT NOT NULL,
    appid        TEXT NOT NULL,
    key          TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    PRIMARY KEY (snapshot, appid, key)
);

CREATE TABLE snap_kf_accounts (
    snapshot           TEXT NOT NULL,
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
    PRIMARY KEY (snapshot, appid, kf_account)
);

CREATE TABLE snap_headimgs (
    snapshot     TEXT NOT NULL,
    appid        TEXT NOT NULL,
    kf_account   TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         BYTEA NOT NULL,
    PRIMARY KEY (snapshot, appid, kf_account)
);

CREATE TABLE snap_wechat_users (
    snapshot TEXT NOT NULL,
    wx       TEXT NOT NULL,
    invalid  BOOLEAN NOT NULL,
    PRIMARY KEY (snapshot, wx)
);

CREATE TABLE snap_fans (
    snapshot      TEXT NOT NULL,
    appid         TEXT NOT NULL,
    openid        TEXT NOT NULL,
    subscribed    BOOLEAN NOT NULL,
    followed_at   BIGINT NOT NULL,
    ever_followed BOOLEAN NOT NULL,
    msg_left      BIGINT NOT NULL,
    msg_until     BIGINT NOT NULL,
    evt_left      BIGINT NOT NULL,
    evt_until     BIGINT NOT NULL,
    last_contact  BIGINT,
    typing_until  BIGINT,
    PRIMARY KEY (snapshot, appid, openid)
);

CREATE TABLE snap_sessions (
    snapshot    TEXT NOT NULL,
    appid       TEXT NOT NULL,
    openid      TEXT NOT NULL,
    kf_account  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    last_msg_at BIGINT NOT NULL,
    PRIMARY KEY (snapshot, appid, openid)
);

CREATE TABLE snap_waitcases (
    snapshot    TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    appid       TEXT NOT NULL,
    openid      TEXT NOT NULL,
    kf_account  TEXT,
    arrived_at  BIGINT NOT NULL,
    latest_time BIGINT NOT NULL,
    PRIMARY KEY (snapshot, seq)
);

CREATE TABLE snap_messages (
    snapshot TEXT NOT NULL,
    msgid    BIGINT NOT NULL,
    appid    TEXT NOT NULL,
    openid   TEXT NOT NULL,
    worker   TEXT,
    opercode BIGINT NOT NULL,
    msgtype  TEXT NOT NULL,
    text     TEXT NOT NULL,
    detail   TEXT NOT NULL,
    time     BIGINT NOT NULL,
    PRIMARY KEY (snapshot, msgid)
);

CREATE TABLE snap_components (
    snapshot        TEXT NOT NULL,
    component_appid TEXT NOT NULL,
    secret          TEXT NOT NULL,
    ip_whitelist    TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (snapshot, component_appid)
);

CREATE TABLE snap_tickets (
    snapshot        TEXT NOT NULL,
    ticket          TEXT NOT NULL,
    component_appid TEXT NOT NULL,
    issued_at       BIGINT NOT NULL,
    PRIMARY KEY (snapshot, ticket)
);

CREATE TABLE snap_authorizations (
    snapshot         TEXT NOT NULL,
    component_appid  TEXT NOT NULL,
    appid            TEXT NOT NULL,
    perm_sets        TEXT NOT NULL,
    authorized_at    BIGINT NOT NULL,
    refresh_token    TEXT NOT NULL,
    previous_refresh TEXT,
    previous_until   BIGINT,
    current_token    TEXT,
    PRIMARY KEY (snapshot, component_appid, appid)
);

CREATE TABLE snap_callbacks (
    snapshot         TEXT NOT NULL,
    appid            TEXT NOT NULL,
    url              TEXT NOT NULL,
    token            TEXT NOT NULL,
    encoding_aes_key TEXT,
    mode             TEXT NOT NULL,
    format           TEXT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (snapshot, appid)
);

CREATE TABLE snap_outbox (
    snapshot   TEXT NOT NULL,
    id         BIGINT NOT NULL,
    appid      TEXT NOT NULL,
    openid     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    nonce      BIGINT NOT NULL,
    event      TEXT NOT NULL,
    msgid      BIGINT,
    a          TEXT NOT NULL,
    b          TEXT NOT NULL,
    attempts   BIGINT NOT NULL,
    PRIMARY KEY (snapshot, id)
);

CREATE TABLE snap_deliveries (
    snapshot   TEXT NOT NULL,
    id         BIGINT NOT NULL,
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
    last       BOOLEAN NOT NULL,
    PRIMARY KEY (snapshot, id)
);
