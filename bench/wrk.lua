-- wrk script for bench/run.sh: the same moves and creations as bench/http.mjs, from a
-- load generator written in C (so the client takes less of the 2 cores the server
-- shares). BENCH_KIND is "move", "create", "list" (the first page) or "list-deep" (a
-- page 40,000 rows deep); BENCH_DIR holds the session cookie, the open cards and
-- stages and the deep cursor that http.mjs wrote. Prints percentiles; asserts nothing.
local kind = os.getenv("BENCH_KIND") or "move"
local dir = os.getenv("BENCH_DIR")

local function lines(name)
  local out = {}
  for l in io.lines(dir .. "/" .. name) do
    if l ~= "" then out[#out + 1] = l end
  end
  return out
end

local ids, stages, cookie, deep
local counter = 0
local thread_tag = tostring(math.random(1000000))

function init(args)
  ids = lines("ids")
  stages = lines("stages")
  cookie = lines("cookie")[1]
  deep = lines("deep")[1]
  math.randomseed(os.time() + tonumber(thread_tag))
end

function request()
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
    ["Cookie"] = cookie,
  }
  if kind == "create" then
    counter = counter + 1
    local body = "title=Wrk+ticket+" .. thread_tag .. "-" .. counter ..
      "&description=Created+by+wrk.&customer_email=bench-customer-1%40example.com&customer_name=Bench+Customer" ..
      "&company=&team=1&priority=normal&assignee=&tags=&due="
    return wrk.format("POST", "/api/tickets/create", headers, body)
  end
  if kind == "list" then
    return wrk.format("POST", "/api/tickets/list", headers, "team=1")
  end
  if kind == "list-deep" then
    return wrk.format("POST", "/api/tickets/list", headers, "team=1&after=" .. deep)
  end
  local t = ids[math.random(#ids)]
  local s = stages[math.random(#stages)]
  return wrk.format("POST", "/api/board/move", headers, "ticket_id=" .. t .. "&stage_id=" .. s)
end

function done(summary, latency, requests)
  local ms = function(us) return string.format("%.1fms", us / 1000) end
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  local e = summary.errors
  io.write(string.format("wrk %s (16 connections): n=%d p50=%s p95=%s p99=%s max=%s, %.0f requests/s, %d errors (status %d, connect %d, read %d, write %d, timeout %d)\n",
    kind, summary.requests, ms(latency:percentile(50)), ms(latency:percentile(95)), ms(latency:percentile(99)),
    ms(latency.max), summary.requests / (summary.duration / 1e6), bad, e.status, e.connect, e.read, e.write, e.timeout))
end
