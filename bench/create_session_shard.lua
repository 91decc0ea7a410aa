-- wrk script for POST /customservice/kfsession/create when several wrk
-- processes load several kefu instances at once (used by bench/run.sh).
--
-- The requests, checks and CHECK line are create_session.lua's, loaded from
-- beside this file. Only the thread numbers differ: this wrk's threads are
-- numbered from FIRST_ID instead of 0, so thread k takes the followers
-- (FIRST_ID+k)*PER_THREAD+1 .. (FIRST_ID+k+1)*PER_THREAD and no two wrk
-- processes (nor an earlier run numbered from 0) ever share a follower.
--
-- Arguments (after --): PER_THREAD KF_COUNT WECHAT_ID FIRST_ID

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "create_session.lua")

local create_init = init

function init(args)
  -- `id` is the thread number create_session.lua's setup gave this thread.
  id = id + tonumber(args[4])
  create_init(args)
end
