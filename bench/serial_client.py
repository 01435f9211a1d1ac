#!/usr/bin/env python3
"""One request at a time over one keep-alive connection, a pause between
them: the latency a gateway adds when every request arrives at an idle
process (cold caches), which wrk's back-to-back load hides.

Usage: bench/serial_client.py PORT [N] [KEY]   (loopback only)
Prints the p50 and p90 of N requests (default 200), 1 KB prompts.
"""
import http.client
import json
import sys
import time

port = int(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
key = sys.argv[3] if len(sys.argv) > 3 else None
conn = http.client.HTTPConnection("127.0.0.1", port)
sentence = "I am planning a two-week trip through northern Italy in late spring. "
lat = []
status = None
for i in range(n):
    body = json.dumps({
        "model": "m",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": ("Request %d: " % i) + sentence * 14},
        ],
    })
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = "Bearer " + key
    t = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", body, headers)
    r = conn.getresponse()
    r.read()
    lat.append((time.perf_counter() - t) * 1e3)
    status = r.status
    time.sleep(0.005)
lat.sort()
print("p50 %.3f ms p90 %.3f ms (status %s)" % (lat[len(lat) // 2], lat[int(len(lat) * 0.9)], status))
