#!/usr/bin/env bash
# WAF throughput, side by side in one run on loopback (2 cores shared by
# the load generator, the proxy and the mock upstream):
#   palisade: wrk → palisade serve (WAF in block mode, guard on, key auth,
#             event log) → mock upstream
#   waf-only: the same with the guard off (chat POSTs only: GETs carry no
#             prompt, so they are the same request path)
#   modsec:   wrk → nginx + ModSecurity v3 + OWASP CRS (Debian packages,
#             paranoia 1, blocking) → mock upstream
# Loads: a benign GET (/v1/models) and a 1 KB chat-JSON POST, each at one
# connection (latency) and 32 connections (rate), alternated twice. Installs wrk, nginx, the ModSecurity
# module and the CRS from Debian when missing.
# Usage: bench/waf.sh [seconds per run, default 8]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/palisade-target}"
secs="${1:-8}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
need wrk wrk
need nginx nginx-light
[ -f /usr/lib/nginx/modules/ngx_http_modsecurity_module.so ] || install libnginx-mod-http-modsecurity
[ -f /usr/share/modsecurity-crs/owasp-crs.load ] || install modsecurity-crs
crs_version="$(dpkg-query -W -f='${Version}' modsecurity-crs 2>/dev/null || echo unknown)"
cat > "$work/modsec.conf" <<CONF
Include /etc/nginx/modsecurity.conf
SecRuleEngine On
SecAuditEngine Off
SecDebugLogLevel 0
Include /etc/modsecurity/crs/crs-setup.conf
Include /usr/share/modsecurity-crs/rules/*.conf
CONF
key="$("$bin/palisade" keys create --name bench --storage "$work/gw.db")"
mock="$(start mock "$bin/palisade-mock-upstream" --listen 127.0.0.1:0)"
gw="$(RUST_LOG=warn start gw "$bin/palisade" serve --listen 127.0.0.1:0 --upstream "http://$mock" --storage "$work/gw.db")"
# The same gateway with the guard off (WAF, bots, limits, key auth and the
# event log still on): the like-for-like comparison, since ModSecurity does
# no prompt or answer inspection.
printf '[policies.default]\ninspect_input = false\ninspect_output = false\n' > "$work/waf-only.toml"
gwo="$(RUST_LOG=warn start gwo "$bin/palisade" serve --config "$work/waf-only.toml" --listen 127.0.0.1:0 --upstream "http://$mock" --storage "$work/gw.db")"
nport=$((20000 + RANDOM % 20000))
sed -e "s|@MOCK@|$mock|; s|@PORT@|$nport|; s|@DIR@|$work|g" bench/nginx-modsec.conf.in > "$work/nginx.conf"
nginx -c "$work/nginx.conf" -p "$work" &
echo "$!" >> "$work/pids"
sleep 1
# Sanity: both block an attack and pass the benign requests.
atk="http://%s/v1/models?id=1%%27%%20UNION%%20SELECT%%20password%%20FROM%%20users--"
pa="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$(printf "$atk" "$gw")")"
ma="$(curl -s -o /dev/null -w '%{http_code}' "$(printf "$atk" "127.0.0.1:$nport")")"
echo "# $(date -u +%FT%TZ) $(nproc) cores, ${secs}s per run, 32 connections; CRS $crs_version (Debian), PL1"
echo "# attack check: palisade $pa, modsec $ma (403 = blocked)"
run() { # label addr script key
  PALISADE_KEY="$4" wrk -t2 -c32 -d"${secs}s" --latency -s "$3" "http://$2" | sed -n "s/^RESULT /$1 c=32 /p"
}
for target in "$gw" "$gwo" "127.0.0.1:$nport"; do
  PALISADE_KEY="$key" wrk -t2 -c32 -d2s -s bench/get.lua "http://$target" >/dev/null
  PALISADE_KEY="$key" wrk -t2 -c32 -d2s -s bench/chat.lua "http://$target" >/dev/null
done
run1() { # label addr script key: one connection, the latency of one request
  PALISADE_KEY="$4" wrk -t1 -c1 -d"${secs}s" --latency -s "$3" "http://$2" | sed -n "s/^RESULT /$1 c=1 /p"
}
for round in 1 2; do
  run1 "get  palisade round=$round" "$gw" bench/get.lua "$key"
  run1 "get  modsec   round=$round" "127.0.0.1:$nport" bench/get.lua ""
  run1 "chat palisade round=$round" "$gw" bench/chat.lua "$key"
  run1 "chat waf-only round=$round" "$gwo" bench/chat.lua "$key"
  run1 "chat modsec   round=$round" "127.0.0.1:$nport" bench/chat.lua ""
done
for round in 1 2; do
  run "get  palisade round=$round" "$gw" bench/get.lua "$key"
  run "get  modsec   round=$round" "127.0.0.1:$nport" bench/get.lua ""
  run "chat palisade round=$round" "$gw" bench/chat.lua "$key"
  run "chat waf-only round=$round" "$gwo" bench/chat.lua "$key"
  run "chat modsec   round=$round" "127.0.0.1:$nport" bench/chat.lua ""
done
