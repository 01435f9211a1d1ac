#!/usr/bin/env bash
# Two gateway builds side by side behind one mock upstream: the release
# build of this checkout against another `palisade` binary (an older
# commit's, say), each as its own `palisade serve`, alternating wrk runs
# with bench/chat.lua so that machine noise hits both alike. For telling
# a change from the machine's hour, which moves bench/gateway.sh's
# figures by more than most changes do.
# Usage: bench/gateway_ab.sh OTHER_BINARY [seconds per run, default 6]
#        [rounds, default 4] [connections, default 1] [mock delay ms, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/palisade-target}"
other="${1:?usage: bench/gateway_ab.sh OTHER_BINARY [secs] [rounds] [conns] [delay_ms]}"
secs="${2:-6}"; rounds="${3:-4}"; conns="${4:-1}"; delay="${5:-20}"
[ -x "$other" ] || { echo "not an executable: $other" >&2; exit 2; }
# shellcheck source=bench/lib.sh
. bench/lib.sh
need wrk wrk
key="$("$bin/palisade" keys create --name bench --storage "$work/gw.db")"
mock="$(start mock "$bin/palisade-mock-upstream" --listen 127.0.0.1:0 --delay-ms "$delay")"
a="$(RUST_LOG=warn start other "$other" serve --listen 127.0.0.1:0 \
      --upstream "http://$mock" --storage "$work/gw.db")"
b="$(RUST_LOG=warn start this "$bin/palisade" serve --listen 127.0.0.1:0 \
      --upstream "http://$mock" --storage "$work/gw.db")"
for target in "$mock" "$a" "$b"; do
  PALISADE_KEY="$key" wrk -t1 -c16 -d3s -s bench/chat.lua "http://$target" >/dev/null
done
echo "# $(date -u +%FT%TZ) $(nproc) cores, ${secs}s per run, ${conns} connection(s), ${delay} ms mock; other: $other"
# The two gateways swap places every round: with the same binary on both
# sides and a fixed order, the second run's p99 came out 0.3-0.8 ms under
# the first's in every round of three (docs/guard.md, session 66).
for round in $(seq "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order=("other:$a:$key" "this:$b:$key")
  else order=("this:$b:$key" "other:$a:$key"); fi
  for t in "direct:$mock:" "${order[@]}"; do
    IFS=: read -r name host port k <<< "$t"
    PALISADE_KEY="$k" wrk -t1 -c"$conns" -d"${secs}s" --latency -s bench/chat.lua "http://$host:$port" \
      | sed -n "s/^RESULT /$name round=$round c=$conns /p"
  done
done
