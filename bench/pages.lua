-- wrk script for bench/pages.py: cycle through one page's URL list with one role's headers.
--
--   wrk -t 1 -c 16 -d 10s -s bench/pages.lua http://127.0.0.1:8000 -- PATHS_FILE [HEADERS_FILE]
--
-- PATHS_FILE holds one path (with its query string) per line; HEADERS_FILE one "Name: value"
-- per line (kept out of the command line because they carry session cookies and tokens).
-- done() prints one line, "PAGES_JSON {...}", that bench/pages.py reads.

local threads = {}
local paths = {}
local position = 1

function setup(thread)
  -- Each thread starts at its own place in the list, so that two threads never ask for the
  -- same page at the same moment.
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

local function read_lines(name)
  local lines = {}
  local file = assert(io.open(name, "r"))
  for line in file:lines() do
    if #line > 0 then
      table.insert(lines, line)
    end
  end
  file:close()
  return lines
end

function init(args)
  paths = read_lines(args[1])
  if args[2] then
    for _, line in ipairs(read_lines(args[2])) do
      local name, value = line:match("^([^:]+):%s*(.*)$")
      wrk.headers[name] = value
    end
  end
  position = ((thread_number or 0) * 7919) % #paths + 1
  status_2xx, status_3xx, status_4xx, status_5xx = 0, 0, 0, 0
end

function request()
  local path = paths[position]
  position = position % #paths + 1
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status < 300 then
    status_2xx = status_2xx + 1
  elseif status < 400 then
    status_3xx = status_3xx + 1
  elseif status < 500 then
    status_4xx = status_4xx + 1
  else
    status_5xx = status_5xx + 1
  end
end

function done(summary, latency, requests)
  local counts = {status_2xx = 0, status_3xx = 0, status_4xx = 0, status_5xx = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(counts) do
      counts[name] = counts[name] + (thread:get(name) or 0)
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'PAGES_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"p50_us": %.0f, "p95_us": %.0f, "p99_us": %.0f, "max_us": %.0f, "mean_us": %.1f, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, "status_over_399": %d, ' ..
    '"status_2xx": %d, "status_3xx": %d, "status_4xx": %d, "status_5xx": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean, errors.connect, errors.read, errors.write, errors.timeout, errors.status,
    counts.status_2xx, counts.status_3xx, counts.status_4xx, counts.status_5xx))
end
