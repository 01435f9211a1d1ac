#!/usr/bin/env python3
"""Turns bench/gateway.sh output into a Markdown table: for each upstream
delay, concurrency and round, what each target adds over calling the mock
directly (p50 and p99, ms) and its request rate as a share of direct."""
import re
import sys
from collections import defaultdict

rows = defaultdict(dict)
for line in open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin:
    m = re.match(r"delay=(\d+)ms (\w+)\s+round=(\d) c=(\d+) rps=([\d.]+) p50_us=(\d+) p90_us=(\d+) p99_us=(\d+)", line)
    if m:
        delay, target, rnd, conns, rps, p50, _, p99 = m.groups()
        rows[(int(delay), int(conns), int(rnd))][target] = (float(rps), int(p50), int(p99))

print("| upstream delay | connections | round | target | added p50 | added p99 | rate vs direct |")
print("|---|---|---|---|---|---|---|")
for key in sorted(rows):
    d = rows[key].get("direct")
    if not d:
        continue
    for target in ("gateway", "parallel", "proxy", "nginx"):
        if target in rows[key]:
            rps, p50, p99 = rows[key][target]
            print(f"| {key[0]} ms | {key[1]} | {key[2]} | {target} | {(p50 - d[1]) / 1000:+.2f} ms | "
                  f"{(p99 - d[2]) / 1000:+.2f} ms | {100 * rps / d[0]:.0f}% |")
