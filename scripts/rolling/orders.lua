-- wrk script of scripts/check-rolling: every request places an order of 1 to 3 distinct lines
-- from the stock rows ROWS ({store, product} pairs), each with an Idempotency-Key of its
-- own, so the proxy may safely resend a request a stopping server never answered. Each thread
-- writes "<order id> <status>" for every 201 to OUT/answered-<thread>, and the status and body
-- of anything else to OUT/failed-<thread>. ROWS, OUT and RUN (a run id, for unique keys) are
-- defined by the lines scripts/check-rolling puts before this file.
local rows = ROWS
local out = OUT
local counter = 0
-- `id` is a global each thread's state gets from setup() (thread:set).
local next_thread = 1
local answered, failed

function setup(thread)
   thread:set("id", next_thread)
   next_thread = next_thread + 1
end

function init(args)
   math.randomseed(id * 7919 + os.time())
   answered = io.open(out .. "/answered-" .. id, "w")
   failed = io.open(out .. "/failed-" .. id, "w")
   -- Line-buffered: wrk's threads never close their files.
   answered:setvbuf("line")
   failed:setvbuf("line")
end

function request()
   counter = counter + 1
   local store = rows[math.random(#rows)][1]
   local lines, seen = {}, {}
   for _ = 1, math.random(3) do
      local row = rows[math.random(#rows)]
      if row[1] == store and not seen[row[2]] then
         seen[row[2]] = true
         lines[#lines + 1] = string.format('{"product_id":%d,"quantity_requested":%d}', row[2], math.random(3))
      end
   end
   if #lines == 0 then
      local row = rows[math.random(#rows)]
      store = row[1]
      lines[1] = string.format('{"product_id":%d,"quantity_requested":1}', row[2])
   end
   local body = string.format('{"store_id":%d,"items":[%s]}', store, table.concat(lines, ","))
   local headers = {
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = string.format("rolling-%d-%d-%d", RUN, id, counter),
   }
   return wrk.format("POST", "/orders/", headers, body)
end

function response(status, headers, body)
   if status == 201 then
      local order = body:match('"id":%s*(%d+)')
      local state = body:match('"status":%s*"(%u+)"')
      answered:write(string.format("%s %s\n", order or "?", state or "?"))
   else
      failed:write(string.format("%d %s\n", status, body:gsub("\n", " ")))
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "wrk: %d requests in %.1f s, socket errors connect %d read %d write %d timeout %d, non-2xx %d, p99 %.1f ms\n",
      summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(99) / 1000))
end
