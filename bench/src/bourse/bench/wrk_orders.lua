-- The load of `python -m bourse.bench.e2e --generator wrk`: crossing limit orders, one per
-- POST /api/v1/orders, from many users, sent by wrk (Debian's package, LuaJIT) so that
-- the load generator costs the machine little.
--
--   wrk -t2 -c32 -d20s -s bench/src/bourse/bench/wrk_orders.lua <gateway>/api/v1/orders \
--       -- <senders file> <ms between two orders of one thread> <tag>
--
-- The senders file has one "<side> <access token> <symbol>" per line, a sell and the buy
-- that crosses it on each two lines; each thread walks it in order, so its sells and buys
-- of a symbol differ by one at most. Each
-- order's client_order_id is "<tag>-<thread>-<n>-<send time, µs since the epoch>": the
-- benchmark reads the orders back and measures send -> filled_at from it.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bourse_timespec;
int clock_gettime(int clk_id, bourse_timespec *tp);
]]
local CLOCK_REALTIME = 0
local now = ffi.new("bourse_timespec")
local senders, interval, tag = {}, 0, nil
local next_due = nil -- ms since the epoch: when this thread's next order is due
local sent = 0
local threads = 0 -- counted in the setup state; each thread gets its number as a global

function setup(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do
    local side, token, symbol = line:match("^(%a+) (%S+) (%S+)$")
    senders[#senders + 1] = { side = side, auth = "Bearer " .. token, symbol = symbol }
  end
  interval, tag = tonumber(args[2]), args[3]
end

local function micros()
  ffi.C.clock_gettime(CLOCK_REALTIME, now)
  return tonumber(now.tv_sec) * 1000000 + math.floor(tonumber(now.tv_nsec) / 1000)
end

-- Open-loop pacing: each request takes the thread's next slot, one every ``interval`` ms,
-- whichever connection is free; a connection that is late sends at once.
function delay()
  local now_ms = micros() / 1000
  next_due = (next_due or now_ms - interval) + interval
  return math.max(0, math.floor(next_due - now_ms))
end

function request()
  sent = sent + 1
  -- an even offset per thread keeps every thread starting with a sell
  local sender = senders[(sent - 1 + thread_number * 2 * 7919) % #senders + 1]
  local body = string.format(
    '{"symbol":"%s","side":"%s","type":"limit","time_in_force":"gtc","qty":"1",' ..
    '"limit_price":"100.00","client_order_id":"%s-%d-%d-%.0f"}',
    sender.symbol, sender.side, tag, thread_number, sent, micros())
  return wrk.format("POST", nil,
    { ["Authorization"] = sender.auth, ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"socket_errors":%d,"non_2xx":%d,"post_p50_ms":%.1f,"post_p99_ms":%.1f}\n',
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
