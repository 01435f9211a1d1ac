#!/usr/bin/env bash
# Gateway overhead benchmark, side by side in one run on loopback:
#   direct:  wrk → mock upstream
#   gateway: wrk → palisade serve (guard on, key auth, event log) → mock upstream
#   parallel: the same with input_check = "parallel" (the request's check
#            runs while the upstream works; a block cancels the call)
#   proxy:   wrk → palisade serve with inspection off (the proxy's own cost)
#   nginx:   wrk → nginx proxy_pass, one worker, no inspection (a reference
#            for what any extra hop costs on the same cores)
# Two load shapes per target, alternated (direct, gateway, direct, gateway)
# so machine noise hits both alike:
#   latency:    1 connection, closed loop — the time one request takes
#   throughput: 16 connections — the request rate each sustains
# and two upstream models: a zero-delay mock (the gateway's CPU cost against
# a server that does nothing: the harshest ratio) and a mock that takes
# 20 ms per answer (closer to any real model).
# Usage: bench/gateway.sh [seconds per run, default 8]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/palisade-target}"
secs="${1:-8}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
need wrk wrk
need nginx nginx-light

key="$("$bin/palisade" keys create --name bench --storage "$work/gw.db")"
printf '[policies.default]\ninspect_input = false\ninspect_output = false\n' > "$work/noinspect.toml"
printf '[policies.default]\ninput_check = "parallel"\n' > "$work/parallel.toml"
run() { # label addr conns key → RESULT line
  PALISADE_KEY="$4" wrk -t1 -c"$3" -d"${secs}s" --latency -s bench/chat.lua "http://$2" \
    | sed -n "s/^RESULT /$1 c=$3 /p"
}
echo "# $(date -u +%FT%TZ) $(nproc) cores, ${secs}s per run, 1 KB prompts"
for delay in 0 20; do
  mock="$(start "mock$delay" "$bin/palisade-mock-upstream" --listen 127.0.0.1:0 --delay-ms "$delay")"
  gw="$(RUST_LOG=warn start "gw$delay" "$bin/palisade" serve --listen 127.0.0.1:0 \
        --upstream "http://$mock" --storage "$work/gw.db")"
  # Warm every target the same way (connection pools, allocator, caches):
  # a gateway serves for days, not for the first second.
  par="$(RUST_LOG=warn start "par$delay" "$bin/palisade" serve --listen 127.0.0.1:0 \
        --config "$work/parallel.toml" --upstream "http://$mock" --storage "$work/gw.db")"
  bare="$(RUST_LOG=warn start "bare$delay" "$bin/palisade" serve --listen 127.0.0.1:0 \
        --config "$work/noinspect.toml" --upstream "http://$mock" --storage "$work/gw.db")"
  nport=$((20000 + RANDOM % 20000))
  sed -e "s|@MOCK@|$mock|; s|@PORT@|$nport|; s|@DIR@|$work|g" bench/nginx.conf.in > "$work/nginx$delay.conf"
  nginx -c "$work/nginx$delay.conf" -p "$work" &
  echo "$!" >> "$work/pids"
  sleep 0.5
  for target in "$mock" "$gw" "$par" "$bare" "127.0.0.1:$nport"; do
    PALISADE_KEY="$key" wrk -t1 -c16 -d3s -s bench/chat.lua "http://$target" >/dev/null
  done
  for round in 1 2; do
    for conns in 1 16; do
      run "delay=${delay}ms direct  round=$round" "$mock" "$conns" ""
      run "delay=${delay}ms gateway round=$round" "$gw" "$conns" "$key"
      run "delay=${delay}ms parallel round=$round" "$par" "$conns" "$key"
      run "delay=${delay}ms proxy   round=$round" "$bare" "$conns" "$key"
      run "delay=${delay}ms nginx   round=$round" "127.0.0.1:$nport" "$conns" ""
    done
  done
done
