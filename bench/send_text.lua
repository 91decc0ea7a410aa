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

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local per_thread
local first, sent = 0, 0
ok, bad, sample = 0, 0, ""

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

function response(status, headers, body)
  if status == 200 and body:sub(1, 13) == '{"errcode":0,' then
    ok = ok + 1
  else
    bad = bad + 1
    if sample == "" then
      sample = status .. " " .. body:sub(1, 200)
    end
  end
end

function done(summary, latency, requests)
  local t_ok, t_bad, t_sample = 0, 0, ""
  for _, thread in ipairs(threads) do
    t_ok = t_ok + thread:get("ok")
    t_bad = t_bad + thread:get("bad")
    if t_sample == "" then
      t_sample = thread:get("sample")
    end
  end
  io.write(string.format("CHECK ok=%d bad=%d reused=0\n", t_ok, t_bad))
  if t_sample ~= "" then
    io.write("CHECK first bad answer: " .. t_sample .. "\n")
  end
end
