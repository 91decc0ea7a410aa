-- kefu schema, version 3: third-party platforms and app access rules.
-- Whitelists are comma-separated entries; quotas are `path daily minute`
-- triples separated by `;` (`-` for no limit).

ALTER TABLE apps ADD COLUMN ip_whitelist TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN quotas TEXT NOT NULL DEFAULT '';

-- The component an authorizer token acts through.
ALTER TABLE tokens ADD COLUMN via TEXT;

CREATE TABLE components (
    component_appid TEXT PRIMARY KEY,
    secret          TEXT NOT NULL,
    ip_whitelist    TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE TABLE tickets (
    ticket          TEXT PRIMARY KEY,
    component_appid TEXT NOT NULL,
    issued_at       INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE authorizations (
    component_appid  TEXT NOT NULL,
    appid            TEXT NOT NULL,
    perm_sets        TEXT NOT NULL,
    authorized_at    INTEGER NOT NULL,
    refresh_token    TEXT NOT NULL,
    previous_refresh TEXT,
    previous_until   INTEGER,
    current_token    TEXT,
    PRIMARY KEY (component_appid, appid)
) WITHOUT ROWID;
