-- tests/bench/post_review.lua - wrk script: POST one AdmissionReview (the file
-- named by MW_BENCH_BODY) over and over on keep-alive connections, then print
-- requests/s, p50 and p99.
local path = os.getenv("MW_BENCH_BODY") or "tests/bench/vm-create-review.json"
local f = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

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
