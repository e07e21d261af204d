-- Load script for wrk (bench/src/http.ts): POSTs signed SuperOffice events from a pool file of
-- fixed-size records, `<signature>\t<body>\n`, starting at record args[2] and cycling.
-- The pool is one Lua string and bodies are cut from it per request: the Lua heap holds a few
-- objects, so its collector never walks a hundred thousand strings in the middle of a run.
local data, size, count
local at = 0
init = function(args)
  local f = assert(io.open(args[1], 'rb'))
  data = f:read('*a')
  f:close()
  size = assert(data:find('\n', 1, true), 'empty pool')
  count = #data / size
  at = tonumber(args[2]) % count
end
request = function()
  local s = at * size + 1
  at = (at + 1) % count
  local tab = data:find('\t', s, true)
  return wrk.format('POST', nil, {
    ['Content-Type'] = 'application/json; charset=utf-8',
    ['X-SuperOffice-Signature'] = data:sub(s, tab - 1),
  }, data:sub(tab + 1, s + size - 2))
end
done = function(summary, latency)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"durationUs":%d,"p99Us":%d,"non2xx":%d,"errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
