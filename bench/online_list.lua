-- wrk script for GET /cgi-bin/customservice/getonlinekflist (used by
-- bench/run.sh), a read over many open sessions.
--
-- Arguments: ACCEPTED TOKEN... : each request asks for the next app's list
-- in turn, with that app's access token. An answer counts as good when it
-- is a 200 listing accounts, every one with accepted_case ACCEPTED (every
-- seeded account serves that many sessions).
-- `done` prints one line: "CHECK ok=.. bad=.. reused=0" followed by a sample
-- of the first bad answer, if any.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "answers.lua")

local paths, turn, expected = {}, 0, ""

function init(args)
  expected = '"accepted_case":' .. args[1] .. "}"
  for i = 2, #args do
    paths[#paths + 1] = "/cgi-bin/customservice/getonlinekflist?access_token=" .. args[i]
  end
  turn = id -- threads start on different apps
end

function request()
  turn = turn + 1
  return wrk.format("GET", paths[turn % #paths + 1])
end

local function count(body, text)
  local n, at = 0, 1
  while true do
    local found = body:find(text, at, true)
    if not found then return n end
    n, at = n + 1, found + #text
  end
end

function good(status, body)
  if status ~= 200 or body:sub(1, 20) ~= '{"kf_online_list":[{' then
    return false
  end
  local accounts = count(body, '"kf_account":')
  return accounts > 0 and count(body, expected) == accounts
end
