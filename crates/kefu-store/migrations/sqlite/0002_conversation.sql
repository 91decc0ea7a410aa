-- kefu schema, version 2: the conversation. Followers' send windows and
-- typing, the sessions' last message (idle close), the waiting queue, and
-- every message either way (chat records are the ones with a worker).

ALTER TABLE fans ADD COLUMN ever_followed INTEGER NOT NULL DEFAULT 1;
ALTER TABLE fans ADD COLUMN msg_left INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fans ADD COLUMN msg_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fans ADD COLUMN evt_left INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fans ADD COLUMN evt_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fans ADD COLUMN last_contact INTEGER;
ALTER TABLE fans ADD COLUMN typing_until INTEGER;

ALTER TABLE sessions ADD COLUMN last_msg_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_msg_at = created_at;

-- Arrival order is `seq`: a new row always gets a larger one.
CREATE TABLE waitcases (
    seq         INTEGER PRIMARY KEY,
    appid       TEXT NOT NULL,
    openid      TEXT NOT NULL,
    kf_account  TEXT,
    arrived_at  INTEGER NOT NULL,
    latest_time INTEGER NOT NULL,
    UNIQUE (appid, openid)
);
CREATE INDEX waitcases_in_order ON waitcases (appid, seq);

CREATE TABLE messages (
    msgid    INTEGER PRIMARY KEY,
    appid    TEXT NOT NULL,
    openid   TEXT NOT NULL,
    worker   TEXT,
    opercode INTEGER NOT NULL,
    msgtype  TEXT NOT NULL,
    text     TEXT NOT NULL,
    detail   TEXT NOT NULL,
    time     INTEGER NOT NULL
);
CREATE INDEX messages_by_follower ON messages (appid, openid, msgid);
-- Chat records only: `getmsglist` reads a time range of one app.
CREATE INDEX records_by_time ON messages (appid, time, msgid) WHERE worker IS NOT NULL;
