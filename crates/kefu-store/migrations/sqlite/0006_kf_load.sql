-- kefu schema, version 6 (SQLite only): the open sessions of each kf
-- account, kept by triggers on `sessions`, so that `accepted_case`
-- (getonlinekflist, the control API's app state) reads one row per
-- account instead of counting the app's sessions. It is derived: every
-- insert, delete and move of a session row updates it in the same
-- statement (import, restore and wipe included), and it is neither
-- exported nor kept in snapshots. Rows of idle sessions the sweep has not
-- closed yet are still counted here; the read subtracts them through
-- `sessions_idle`. PostgreSQL's 0006 indexes the sessions by account
-- instead and counts them: one counter row per account, written by every
-- session change, would make concurrent SERIALIZABLE writers conflict on it.

CREATE TABLE kf_load (
    appid      TEXT NOT NULL,
    kf_account TEXT NOT NULL,
    sessions   INTEGER NOT NULL,
    PRIMARY KEY (appid, kf_account)
) WITHOUT ROWID;

INSERT INTO kf_load (appid, kf_account, sessions)
SELECT appid, kf_account, COUNT(*) FROM sessions GROUP BY appid, kf_account;

CREATE TRIGGER kf_load_open AFTER INSERT ON sessions BEGIN
    INSERT INTO kf_load (appid, kf_account, sessions) VALUES (new.appid, new.kf_account, 1)
    ON CONFLICT (appid, kf_account) DO UPDATE SET sessions = sessions + 1;
END;

CREATE TRIGGER kf_load_close AFTER DELETE ON sessions BEGIN
    UPDATE kf_load SET sessions = sessions - 1
    WHERE appid = old.appid AND kf_account = old.kf_account;
END;

CREATE TRIGGER kf_load_move AFTER UPDATE OF appid, kf_account ON sessions
WHEN old.appid IS NOT new.appid OR old.kf_account IS NOT new.kf_account BEGIN
    UPDATE kf_load SET sessions = sessions - 1
    WHERE appid = old.appid AND kf_account = old.kf_account;
    INSERT INTO kf_load (appid, kf_account, sessions) VALUES (new.appid, new.kf_account, 1)
    ON CONFLICT (appid, kf_account) DO UPDATE SET sessions = sessions + 1;
END;
