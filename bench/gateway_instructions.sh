#!/usr/bin/env bash
# Instructions per gateway request, counted by callgrind rather than
# timed (a count does not move with the machine's hour): `palisade
# serve` runs under valgrind with collection off while it starts, builds
# its tables in the background and serves 250 warm-up requests; then
# collection is switched on for N chat requests like bench/chat.lua's (1
# KB user message, fixed system prompt) through the zero-delay mock.
# Prints the instructions per request.
# Usage: bench/gateway_instructions.sh [requests, default 200] [palisade.toml]
# Env: PALISADE_SENTENCES=FILE builds the prompts from FILE's sentences
# (bench/sentences_multilingual.txt), as bench/chat.lua does.
# Env: OUT=FILE keeps the callgrind profile (for callgrind_annotate);
# GATEWAY=BINARY counts another `palisade` build (an older commit's).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/palisade-target}"
n="${1:-200}"; config="${2:-}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
need valgrind valgrind
out="${OUT:-$work/gateway.cg}"
key="$("$bin/palisade" keys create --name bench --storage "$work/gw.db")"
mock="$(start mock "$bin/palisade-mock-upstream" --listen 127.0.0.1:0 --delay-ms 0)"
args=(serve --listen 127.0.0.1:0 --upstream "http://$mock" --storage "$work/gw.db")
[ -n "$config" ] && args+=(--config "$config")
RUST_LOG=warn valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
  "${GATEWAY:-$bin/palisade}" "${args[@]}" >"$work/gw.out" 2>"$work/gw.err" &
gw_pid=$!
echo "$gw_pid" >> "$work/pids"
for _ in $(seq 1500); do grep -q '^listening on ' "$work/gw.out" 2>/dev/null && break; sleep 0.2; done
addr="$(sed -n 's/^listening on //p' "$work/gw.out" | head -1)"
[ -n "$addr" ] || { echo "gateway did not start: $(tail -3 "$work/gw.err")" >&2; exit 1; }
send() { # count seed
  python3 - "$addr" "$1" "$key" "$2" <<'PY'
import http.client, json, random, sys
addr, n, key, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
host, port = addr.rsplit(':', 1)
import os
# bench/chat.lua's sentences, or PALISADE_SENTENCES' (one a line), as wrk sends them.
if os.environ.get('PALISADE_SENTENCES'):
    sentences = [l.strip() for l in open(os.environ['PALISADE_SENTENCES'], encoding='utf-8') if l.strip()]
else:
    sentences = [l.split('"')[1] for l in open('bench/chat.lua') if l.startswith('  "')]
# Seeded, so that two builds get the same requests.
rng = random.Random(seed)
c = http.client.HTTPConnection(host, int(port))
for i in range(n):
    words, text = 0, []
    while words < 1012:
        s = rng.choice(sentences); text.append(s); words += len(s) + 1
    user = f"Request {rng.randrange(10**9)}: " + " ".join(text)[:1012]
    body = json.dumps({"model": "mock-gpt", "messages": [
        {"role": "system", "content": "You are a helpful assistant for a travel and productivity app."},
        {"role": "user", "content": user}]})
    c.request('POST', '/v1/chat/completions', body,
              {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + key})
    r = c.getresponse(); r.read()
    if r.status != 200:
        sys.exit(f"status {r.status}")
PY
}
# Warm-up in two rounds. API discovery loads its data catalogue in the
# background at its first sample and skips the samples due before it
# is ready, so its first 20 scans (and the catalogue streams they build
# lazily) come only after that load: the second round takes them. One
# table built inside the counted requests costs as much as hundreds of
# requests (0.4 M a request over 200).
idle() { # two seconds without CPU
  for _ in $(seq 300); do
    t1=$(awk '{print $14+$15}' "/proc/$gw_pid/stat"); sleep 2
    t2=$(awk '{print $14+$15}' "/proc/$gw_pid/stat")
    [ $((t2 - t1)) -lt 5 ] && return
  done
}
idle
send 200 1
idle
send 50 3
idle
callgrind_control -i on "$gw_pid" >/dev/null 2>&1
send "$n" 2
callgrind_control -i off "$gw_pid" >/dev/null 2>&1
kill -TERM "$gw_pid"; wait "$gw_pid" 2>/dev/null || true
total=$(sed -n 's/.*Collected : //p' "$work/gw.err")
echo "instructions per request: $((total / n)) ($total over $n requests${config:+, config $config})"
