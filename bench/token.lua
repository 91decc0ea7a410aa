-- wrk script for GET /cgi-bin/token (used by bench/run.sh).
--
-- The URL on wrk's command line carries grant_type, appid and secret. Every
-- call issues a new access token, a durable write. An answer counts as good
-- when it is a 200 whose body carries an access_token.
-- `done` prints one line: "CHECK ok=.. bad=.. reused=0" followed by a sample
-- of the first bad answer, if any.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "answers.lua")

function good(status, body)
  return status == 200 and body:find('"access_token":"', 1, true) ~= nil
end
