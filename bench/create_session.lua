-- wrk script for POST /customservice/kfsession/create (used by bench/run.sh).
--
-- Every request opens a session for a follower that has never had one, so
-- every request is a real write. Followers are seeded by run.sh with openids
-- 'o' .. 27-digit number, numbered from 1. Each wrk thread owns its own range
-- of numbers (thread k: k*PER_THREAD+1 .. (k+1)*PER_THREAD), so no openid is
-- ever used twice, and sessions are spread round-robin over the kf accounts
-- kf1..kfN@WECHAT_ID.
--
-- Arguments (after --): PER_THREAD KF_COUNT WECHAT_ID
-- `done` prints one line: "CHECK ok=.. bad=.. reused=.." followed by a sample
-- of the first bad answer, if any.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "answers.lua")

local per_thread, kf_count, wechat_id
local first, sent = 0, 0
local kf_accounts = {}

function init(args)
  per_thread = tonumber(args[1])
  kf_count = tonumber(args[2])
  wechat_id = args[3]
  first = id * per_thread + 1
  for i = 1, kf_count do
    kf_accounts[i] = "kf" .. i .. "@" .. wechat_id
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  if sent >= per_thread then
    -- Out of fresh followers: this one belongs to the next thread's range
    -- (or was never seeded) and is counted, so the run can be flagged.
    reused = reused + 1
  end
  local n = first + sent
  sent = sent + 1
  local body = string.format('{"kf_account":"%s","openid":"o%027d"}',
    kf_accounts[(n % kf_count) + 1], n)
  return wrk.format(nil, nil, nil, body)
end
