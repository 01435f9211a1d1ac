-- wrk script: a benign GET of /v1/models (with the gateway key when
-- PALISADE_KEY is set), reporting like chat.lua.
local key = os.getenv("PALISADE_KEY")
local headers = {["Accept"] = "application/json", ["User-Agent"] = "bench-client/1.0"}
if key and key ~= "" then headers["Authorization"] = "Bearer " .. key end
function request()
  return wrk.format("GET", "/v1/models?limit=20&order=desc", headers)
end
function done(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_us=%d p90_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
