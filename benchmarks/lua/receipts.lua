-- POST a 3-line receipt with a receipt id of its own (the idempotency key) on every request.
-- Arguments (after --): nonce (8 hex digits), products (3 uuids, comma separated), sold_at,
-- token ("-" for none), rate (requests/s over all connections, 0 = as fast as possible), connections.
-- With a rate, each connection waits connections/rate seconds between requests (wrk's delay()):
-- a paced load, not an open loop (wrk2 is not packaged), so a stall is undercounted.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  nonce = args[1]
  products = {}
  for p in string.gmatch(args[2], "[^,]+") do table.insert(products, p) end
  sold_at = args[3]
  token = args[4]
  rate = tonumber(args[5]) or 0
  connections = tonumber(args[6]) or 1
  pause = 0
  if rate > 0 then
    pause = 1000 * connections / rate
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if token ~= "-" then wrk.headers["Authorization"] = "Bearer " .. token end
end

function request()
  counter = counter + 1
  local id = string.format("%s-%04x-4%03x-8%03x-%012x", nonce, tid, 0, 0, counter)
  local body = '{"receipt_id":"' .. id .. '","till_id":"till-1","sold_at":"' .. sold_at ..
    '","payment_method":"card","lines":[' ..
    '{"product_id":"' .. products[1] .. '","quantity":"1"},' ..
    '{"product_id":"' .. products[2] .. '","quantity":"2"},' ..
    '{"product_id":"' .. products[3] .. '","quantity":"1.5"}]}'
  return wrk.format(nil, "/receipts", nil, body)
end

function delay()
  return pause
end

function done(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"non2xx":%d,"errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
