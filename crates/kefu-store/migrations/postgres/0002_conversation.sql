-- kefu schema, version 2: the conversation (as migrations/sqlite/0002).
-- Followers' send windows and typing, the sessions' last message, the
-- waiting queue in arrival order, and every message either way.

ALTER TABLE fans ADD COLUMN ever_followed BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE fans ADD COLUMN msg_left BIGINT NOT NULL DEFAULT 0;
ALTER TABLE fans ADD COLUMN msg_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE fans ADD COLUMN evt_left BIGINT NOT NULL DEFAULT 0;
ALTER TABLE fans ADD COLUMN evt_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE fans ADD COLUMN last_contact BIGINT;
ALTER TABLE fans ADD COLUMN typing_until BIGINT;

ALTER TABLE sessions ADD COLUMN last_msg_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_msg_at = created_at;

CREATE TABLE waitcases (
    seq         BIGSERIAL PRIMARY KEY,
    appid       TEXT NOT NULL,
    openid      TEXT NOT NULL,
    kf_account  TEXT,
    arrived_at  BIGINT NOT NULL,
    latest_time BIGINT NOT NULL,
    UNIQUE (appid, openid)
);
CREATE INDEX waitcases_in_order ON waitcases (appid, seq);

CREATE TABLE messages (
    msgid    BIGSERIAL PRIMARY KEY,
    appid    TEXT NOT NULL,
    openid   TEXT NOT NULL,
    worker   TEXT,
    opercode BIGINT NOT NULL,
    msgtype  TEXT NOT NULL,
    text     TEXT NOT NULL,
    detail   TEXT NOT NULL,
    time     BIGINT NOT NULL
);
CREATE INDEX messages_by_follower ON messages (appid, openid, msgid);
CREATE INDEX records_by_time ON messages (appid, time, msgid) WHERE worker IS NOT NULL;
