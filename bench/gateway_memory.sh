#!/usr/bin/env bash
# The gateway's resident memory: after start (every rule regex built, as a
# server has them), then as varied text goes through its guard, which is
# what fills the rules' lazy-DFA caches. Sends the dev corpora and the
# fetched harmless corpora (scripts/fetch_corpora.py) to
# POST /v1/guard/check/batch, 500 texts a request, and prints VmRSS after
# start and after every 4,000 texts. With an OTHER binary, measures it
# the same way first, for a side-by-side figure in one run.
# Usage: bench/gateway_memory.sh [texts, default 20000] [OTHER_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/palisade-target}"
texts="${1:-20000}"; other="${2:-}"
[ -z "$other" ] || [ -x "$other" ] || { echo "not an executable: $other" >&2; exit 2; }
# shellcheck source=bench/lib.sh
. bench/lib.sh
corpora=(../shared/datasets/guard/*.jsonl)
[ -e "${corpora[0]}" ] || { echo "skipped: ../shared/datasets/guard is absent" >&2; exit 0; }
shopt -s nullglob
corpora+=("$HOME"/.cache/palisade/corpora/*.jsonl)
key="$("$bin/palisade" keys create --name bench --storage "$work/gw.db" 2>/dev/null)"
measure() { # name binary
  local addr pid
  addr="$(RUST_LOG=warn start "$1" "$2" serve --listen 127.0.0.1:0 --upstream http://127.0.0.1:9 \
          --storage "$work/gw.db")"
  pid="$(tail -1 "$work/pids")"
  python3 - "$1" "$addr" "$pid" "$key" "$texts" "${corpora[@]}" <<'EOF'
import json, sys, time, urllib.request
name, addr, pid, key, n, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6:]
def rss_mb():
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) // 1024 for l in f if l.startswith("VmRSS"))
rows = []
for path in files:
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                t = json.loads(line).get("text")
            except (json.JSONDecodeError, AttributeError):
                continue
            if isinstance(t, str) and t.strip():
                rows.append(t)
# Interleaved, so that every stretch holds every corpus's kind of text.
rows = [r for k in range(7) for r in rows[k::7]][:n]
time.sleep(2)
print(f"{name} after_start_mb={rss_mb()}", flush=True)
for i in range(0, len(rows), 500):
    body = json.dumps({"items": [{"text": t} for t in rows[i:i + 500]]}).encode()
    req = urllib.request.Request(f"http://{addr}/v1/guard/check/batch", data=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {key}"})
    urllib.request.urlopen(req, timeout=600).read()
    done = i + len(rows[i:i + 500])
    if done % 4000 == 0 or done == len(rows):
        print(f"{name} texts={done} rss_mb={rss_mb()}", flush=True)
EOF
  kill "$pid"
}
echo "# $(date -u +%FT%TZ) $(nproc) cores, ${texts} texts"
[ -z "$other" ] || measure other "$other"
measure this "$bin/palisade"
