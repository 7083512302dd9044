-- tests/bench/post_review.lua - wrk script: POST one AdmissionReview (the file
-- named by MW_BENCH_BODY) over and over on keep-alive connections, then print
-- requests/s, p50 and p99.
--
-- MW_BENCH_RATE (requests/s over all connections) with MW_BENCH_CONNECTIONS
-- paces each connection: it waits connections/rate seconds between requests,
-- so the offered load stays below that rate (the measured rate is printed).
local path = os.getenv("MW_BENCH_BODY") or "tests/bench/vm-create-review.json"
local f = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

local rate = tonumber(os.getenv("MW_BENCH_RATE") or "")
local conns = tonumber(os.getenv("MW_BENCH_CONNECTIONS") or "")
if rate and conns and rate > 0 then
    local pause_ms = math.floor(conns * 1000 / rate)
    delay = function()
        return pause_ms
    end
end

local non200 = 0
response = function(status, headers, body)
    if status ~= 200 then
        non200 = non200 + 1
    end
end

done = function(summary, latency, requests)
    io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
    io.write(string.format("p50: %.3f ms\n", latency:percentile(50) / 1000))
    io.write(string.format("p99: %.3f ms\n", latency:percentile(99) / 1000))
    io.write(string.format("requests: %d, errors: %d\n", summary.requests,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
        summary.errors.timeout))
end
