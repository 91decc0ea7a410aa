-- kefu schema, version 6 (PostgreSQL): what makes `accepted_case` cheap,
-- as SQLite's 0006 does with its `kf_load` table. PostgreSQL counts an
-- account's live sessions at each read (a counter row written by every
-- session change would make concurrent SERIALIZABLE writers conflict);
-- this index lets it count them from the index alone, the app's accounts
-- in order, instead of reading the app's rows, or, with the prepared
-- statement's generic plan, walking `sessions_idle` over every app's.

CREATE INDEX sessions_by_kf ON sessions (appid, kf_account, last_msg_at);
