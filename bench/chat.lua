-- wrk script: POST OpenAI chat requests whose user message is about 1 KB,
-- from 64 texts, each request numbered (so no layer can answer from a cache).
-- Env: PALISADE_KEY (optional bearer key), PALISADE_PROMPT_BYTES (default 1024),
-- PALISADE_SENTENCES (a file of sentences, one a line, in place of the
-- English ones below: bench/sentences_multilingual.txt).
local key = os.getenv("PALISADE_KEY")
local size = tonumber(os.getenv("PALISADE_PROMPT_BYTES") or "1024")
local sentences = {
  "I am planning a two-week trip through northern Italy in late spring.",
  "Could you suggest a realistic daily budget for food and transport?",
  "My manager asked me to summarise last quarter's sales figures for the board.",
  "Please explain the difference between a Roth IRA and a traditional IRA.",
  "We are migrating our billing service from a monolith to several smaller services.",
  "What are good strategies for teaching fractions to a ten-year-old?",
  "The recipe calls for buttermilk but I only have regular milk and lemons.",
  "Our team keeps missing sprint goals because tickets are poorly scoped.",
  "I would like a short cover letter for a junior data analyst position.",
  "How should I structure unit tests for a function that talks to a database?",
  "Summarise the main causes of the French Revolution in plain language.",
  "My tomato plants have yellow leaves at the bottom; what could cause that?",
  "Write a polite reminder to a client whose invoice is thirty days overdue.",
  "Compare the battery life and weight of three popular ultralight laptops.",
  "Give me a beginner-friendly weekly running plan for a first 10 km race.",
  "Translate the following paragraph into formal Spanish for a brochure.",
}
local file = os.getenv("PALISADE_SENTENCES")
if file and file ~= "" then
  local f = assert(io.open(file, "r"))
  sentences = {}
  for line in f:lines() do
    if line ~= "" then sentences[#sentences + 1] = line end
  end
  f:close()
end
local pre, post = {}, {}
local escape = function(s) return s:gsub('\\', '\\\\'):gsub('"', '\\"') end
function init(args)
  math.randomseed(42)
  for i = 1, 64 do
    local parts = {}
    local n = 0
    while n < size do
      local s = sentences[math.random(#sentences)]
      parts[#parts + 1] = s
      n = n + #s + 1
    end
    local text = table.concat(parts, " "):sub(1, size)
    -- Each request gets a serial number in its prompt (see request()),
    -- so no two user messages are alike; the system prompt repeats, as it
    -- does in real traffic.
    text = text:sub(1, size - 12)
    -- A byte cut may split a character: drop the last one, whole.
    text = text:gsub("[\192-\255][\128-\191]*$", "")
    pre[i] = '{"model":"mock-gpt","messages":[{"role":"system","content":"You are a helpful assistant for a travel and productivity app."},{"role":"user","content":"Request '
    post[i] = ': ' .. escape(text) .. '"}]}'
  end
end
local headers = {["Content-Type"] = "application/json"}
if key and key ~= "" then headers["Authorization"] = "Bearer " .. key end
-- Serial numbers start from a random point in every wrk run: a fixed
-- start would repeat the previous run's texts, and the gateway's verdict
-- cache would answer them without running the guard.
local function random_start()
  local f = io.open("/dev/urandom", "rb")
  if not f then return os.time() * 1000 end
  local b = f:read(6)
  f:close()
  if not b then return os.time() * 1000 end
  local n = 0
  for k = 1, #b do n = n * 256 + b:byte(k) end
  return n
end
local i, serial = 0, random_start()
function request()
  i = i % #pre + 1
  serial = serial + 1
  return wrk.format("POST", "/v1/chat/completions", headers, pre[i] .. serial .. post[i])
end
function done(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_us=%d p90_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
