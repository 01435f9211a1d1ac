#!/usr/bin/env python3
"""Runs model-file scanners over the labelled corpus and prints recall / FPR tables.

Never loads a corpus file: each scanner is a separate CLI process; this script only
reads labels.jsonl and exit codes / JSON output.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict


def run(cmd, timeout=120):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return -1, "", "timeout"


def picklescan(binary, path):
    # Exit codes: 0 clean, 1 dangerous globals found, 2 scan error.
    rc, _, _ = run([binary, "--path", path])
    return rc == 1, rc == 2


def modelscan(binary, path):
    # Exit codes: 0 no issues, 1 issues found, 2 error, 3 no supported files.
    with tempfile.TemporaryDirectory() as d:
        report = os.path.join(d, "r.json")
        rc, _, _ = run([binary, "scan", "-p", path, "-r", "json", "-o", report])
        return rc == 1, rc in (2, -1)


def has_malicious_verdict(v):
    if isinstance(v, dict):
        if v.get("verdict") == "malicious":
            return True
        return any(has_malicious_verdict(x) for x in v.values())
    if isinstance(v, list):
        return any(has_malicious_verdict(x) for x in v)
    return False


def palisade(binary, path):
    rc, out, _ = run([binary, "scan", "--format", "json", path])
    try:
        doc = json.loads(out)
    except ValueError:
        # Tolerate JSON lines.
        doc = []
        for line in out.splitlines():
            try:
                doc.append(json.loads(line))
            except ValueError:
                pass
    return has_malicious_verdict(doc), rc not in (0, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--picklescan")
    ap.add_argument("--modelscan")
    ap.add_argument("--palisade")
    ap.add_argument("--out")
    a = ap.parse_args()
    rows = [json.loads(l) for l in open(os.path.join(a.corpus, "labels.jsonl")) if l.strip()]
    tools = []
    if a.picklescan:
        tools.append(("picklescan", lambda p: picklescan(a.picklescan, p)))
    if a.modelscan:
        tools.append(("modelscan", lambda p: modelscan(a.modelscan, p)))
    if a.palisade:
        tools.append(("palisade", lambda p: palisade(a.palisade, p)))
    lines = []
    summary = ["| tool | recall | false-positive rate | misses | false positives | errors | seconds |", "|---|---|---|---|---|---|---|"]
    for name, fn in tools:
        per = defaultdict(lambda: [0, 0, 0, 0])  # mal, hit, ben, fp
        misses, fps, errors = [], [], 0
        t0 = time.time()
        for r in rows:
            path = os.path.join(a.corpus, r["file"])
            hit, err = fn(path)
            errors += int(err)
            c = per[r["format"]]
            if r["label"] == "malicious":
                c[0] += 1
                c[1] += int(hit)
                if not hit:
                    misses.append(f"{r['file']} ({r['format']}, {r.get('technique') or r.get('source_path')})")
            else:
                c[2] += 1
                c[3] += int(hit)
                if hit:
                    fps.append(f"{r['file']} ({r['format']}, {r.get('technique') or r.get('source_path')})")
        secs = time.time() - t0
        mal = sum(c[0] for c in per.values())
        hit = sum(c[1] for c in per.values())
        ben = sum(c[2] for c in per.values())
        fp = sum(c[3] for c in per.values())
        summary.append(f"| {name} | {hit / max(mal, 1):.3f} ({hit}/{mal}) | {fp / max(ben, 1):.3f} ({fp}/{ben}) | {len(misses)} | {len(fps)} | {errors} | {secs:.1f} |")
        lines.append(f"\n### {name}\n\n| format | malicious | detected | benign | false positives |\n|---|---|---|---|---|")
        for fmt in sorted(per):
            c = per[fmt]
            lines.append(f"| {fmt} | {c[0]} | {c[1]} | {c[2]} | {c[3]} |")
        if misses:
            lines.append("\nmisses: " + "; ".join(misses))
        if fps:
            lines.append("\nfalse positives: " + "; ".join(fps))
    text = "\n".join(summary + lines) + "\n"
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
