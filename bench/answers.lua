-- What every kefu wrk script shares (loaded with dofile from beside it):
-- numbering the threads, counting good and bad answers, and the CHECK line
-- run.sh reads. A script sets `good(status, body)` and, when it can run out
-- of fresh followers, counts those in `reused`.
--
-- `done` prints "CHECK ok=.. bad=.. reused=.." and a sample of the first bad
-- answer, if any.

threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

ok, bad, reused, sample = 0, 0, 0, ""

-- The default: a 200 with errcode 0.
function good(status, body)
  return status == 200 and body:sub(1, 13) == '{"errcode":0,'
end

function response(status, headers, body)
  if good(status, body) then
    ok = ok + 1
  else
    bad = bad + 1
    if sample == "" then
      sample = status .. " " .. body:sub(1, 200)
    end
  end
end

function done(summary, latency, requests)
  local t_ok, t_bad, t_reused, t_sample = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    t_ok = t_ok + thread:get("ok")
    t_bad = t_bad + thread:get("bad")
    t_reused = t_reused + thread:get("reused")
    if t_sample == "" then
      t_sample = thread:get("sample")
    end
  end
  io.write(string.format("CHECK ok=%d bad=%d reused=%d\n", t_ok, t_bad, t_reused))
  if t_sample ~= "" then
    io.write("CHECK first bad answer: " .. t_sample .. "\n")
  end
end
