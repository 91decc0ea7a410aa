-- kefu schema, version 3: third-party platforms and app access rules (as
-- migrations/sqlite/0003; list encodings are those of src/codec.rs).

ALTER TABLE apps ADD COLUMN ip_whitelist TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN quotas TEXT NOT NULL DEFAULT '';

ALTER TABLE tokens ADD COLUMN via TEXT;

CREATE TABLE components (
    component_appid TEXT PRIMARY KEY,
    secret          TEXT NOT NULL,
    ip_whitelist    TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);

CREATE TABLE tickets (
    ticket          TEXT PRIMARY KEY,
    component_appid TEXT NOT NULL,
    issued_at       BIGINT NOT NULL
);

CREATE TABLE authorizations (
    component_appid  TEXT NOT NULL,
    appid            TEXT NOT NULL,
    perm_sets        TEXT NOT NULL,
    authorized_at    BIGINT NOT NULL,
    refresh_token    TEXT NOT NULL,
    previous_refresh TEXT,
    previous_until   BIGINT,
    current_token    TEXT,
    PRIMARY KEY (component_appid, appid)
);
