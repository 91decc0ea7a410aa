-- wrk script for GET /cgi-bin/token (used by bench/run.sh).
--
-- The URL on wrk's command line carries grant_type, appid and secret. Every
-- call issues a new access token, a durable write. An answer counts as good
-- when it is a 200 whose body carries an access_token.
-- `done` prints one line: "CHECK ok=.. bad=.. reused=0" followed by a sample
-- of the first bad answer, if any.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

ok, bad, sample = 0, 0, ""

function response(status, headers, body)
  if status == 200 and body:find('"access_token":"', 1, true) then
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
