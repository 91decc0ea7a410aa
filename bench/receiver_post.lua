-- wrk script for the push benchmark's yardstick (used by bench/pushes.sh):
-- POSTs one push, as kefu sent it, to the receiver (bench/yardstick's
-- `receiver` binary) again and again, so the receiver's req/s is the ceiling
-- pushes are compared with.
--
-- Arguments (after --): BODY_FILE [CONTENT_TYPE]
--   BODY_FILE     the request body (a safe-mode push from the delivery log)
--   CONTENT_TYPE  default "text/xml; charset=utf-8", what kefu sends for XML
-- `done` prints one line: "CHECK ok=.. bad=.. reused=0" followed by a sample
-- of the first bad answer (anything but a 200 `success`), if any.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "answers.lua")

function good(status, body)
  return status == 200 and body == "success"
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = args[2] or "text/xml; charset=utf-8"
end
