-- wrk script for POST /cgi-bin/message/custom/send of a text (used by bench/run.sh).
--
-- Sends are spread over the seeded followers (openids 'o' .. 27-digit number,
-- numbered from 1): each wrk thread cycles through its own range of numbers
-- (thread k: k*PER_THREAD+1 .. (k+1)*PER_THREAD), one follower after the
-- other. run.sh seeds every follower with a send window far larger than a run
-- can use, so every request is a real write (the window's count and a new
-- message) and every answer should be errcode 0.
--
-- Arguments (after --): PER_THREAD
-- `done` prints one line: "CHECK ok=.. bad=.. reused=0" followed by a sample
-- of the first bad answer, if any.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "answers.lua")

local per_thread
local first, sent = 0, 0

function init(args)
  per_thread = tonumber(args[1])
  first = id * per_thread + 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local n = first + (sent % per_thread)
  sent = sent + 1
  local body = string.format(
    '{"touser":"o%027d","msgtype":"text","text":{"content":"Your order %d has shipped"}}', n, sent)
  return wrk.format(nil, nil, nil, body)
end
