#!/usr/bin/env python3
"""Compares guard models on unsafe requests at equal false positives.

A model's own threshold is set by the training caps a few rows at a time,
so two models' figures at their own thresholds mix a better ranking with
a moved operating point. This script separates the two: for every model it
moves the unsafe head's threshold until the harmless rows (the evaluation
sets' and the corpora's) are flagged exactly as often as by the first
model, and reports the unsafe requests caught there.

Usage (from the repository root, after `cargo build --release`):
  python3 scripts/guard_matched.py BASE.model OTHER.model [...]

Rows: unsafe and harmless rows of eval/guard-blind{,2..7}, eval/probes and
eval/guard-hardneg-ai (sets 8 and 9 stay out: they are measured once, at
a session's end), and every row of ../shared/datasets/guard and of the
fetched corpora (~/.cache/palisade/corpora), read as prompts. Everything
else a verdict depends on (rules, the other heads) stays as each model
flags it.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get(
    "PALISADE",
    os.path.expanduser("~/.cache/palisade-target/release/palisade"),
)
LOW_POLICY = "thresholds:\n  model.attack: 0.0001\n  model.unsafe: 0.0001\n  model.document: 0.0001\n"


def rows():
    out = []
    sets = glob.glob(f"{ROOT}/eval/guard-blind*/*.jsonl")
    sets = [f for f in sets if not f.split("/")[-2] in ("guard-blind8", "guard-blind9")]
    sets += glob.glob(f"{ROOT}/eval/probes/*.jsonl") + glob.glob(f"{ROOT}/eval/guard-hardneg-ai/*.jsonl")
    for f in sorted(sets):
        for line in open(f, encoding="utf-8"):
            d = json.loads(line)
            out.append(("sets", d["label"], d["text"], d.get("kind") or "prompt"))
    corpora = glob.glob(f"{ROOT}/../shared/datasets/guard/*.jsonl")
    corpora += glob.glob(os.path.expanduser("~/.cache/palisade/corpora/*.jsonl"))
    if not corpora:
        sys.exit("no corpora found: ../shared/datasets/guard or ~/.cache/palisade/corpora")
    for f in sorted(corpora):
        for line in open(f, encoding="utf-8"):
            d = json.loads(line)
            out.append(("corpus", d["label"], d["text"], "prompt"))
    return out


def verdicts(model, data, policy=None):
    cmd = [BIN, "guard", "--jsonl", "--model", model] + (["--policy", policy] if policy else [])
    res = subprocess.run(cmd, input=data, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr.strip()[:500]}")
    return [json.loads(line) for line in res.stdout.splitlines()]


def scored(model, data, policy, table):
    """(pool, label, flagged by anything but the unsafe head, unsafe score) per row."""
    own = verdicts(model, data)
    low = verdicts(model, data, policy)
    out = []
    for (pool, label, _, _), o, lo in zip(table, own, low):
        other = o["flagged"] and any(f["detector"] != "model.unsafe" for f in o["findings"])
        score = max((f["score"] for f in lo["findings"] if f["detector"] == "model.unsafe"), default=0.0)
        out.append((pool, label, other, score, o["flagged"]))
    return out


def count(rs, t):
    benign = sum(1 for p, l, o, u, _ in rs if l == "benign" and (o or u >= t))
    unsafe = sum(1 for p, l, o, u, _ in rs if p == "sets" and l == "unsafe" and (o or u >= t))
    return benign, unsafe


def main():
    models = sys.argv[1:]
    if len(models) < 2:
        sys.exit(__doc__)
    if not os.access(BIN, os.X_OK):
        sys.exit(f"no palisade binary at {BIN}: run `cargo build --release` or set PALISADE")
    for m in models:
        if not os.path.isfile(m):
            sys.exit(f"no model file at {m}")
    table = rows()
    data = "".join(json.dumps({"text": t, "kind": k}, ensure_ascii=False) + "\n" for _, _, t, k in table)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as p:
        p.write(LOW_POLICY)
    try:
        results = [scored(m, data, p.name, table) for m in models]
    finally:
        os.unlink(p.name)
    n_benign = sum(1 for r in table if r[1] == "benign")
    n_unsafe = sum(1 for r in table if r[0] == "sets" and r[1] == "unsafe")
    target = sum(1 for _, l, _, _, f in results[0] if l == "benign" and f)
    print(f"{n_benign} harmless rows, {n_unsafe} unsafe requests in the sets; "
          f"matching {models[0]}'s {target} harmless flags")
    for m, rs in zip(models, results):
        own_b = sum(1 for _, l, _, _, f in rs if l == "benign" and f)
        own_u = sum(1 for p, l, _, _, f in rs if p == "sets" and l == "unsafe" and f)
        lo, hi = 0.0, 1.0
        for _ in range(40):
            mid = (lo + hi) / 2
            if count(rs, mid)[0] > target:
                lo = mid
            else:
                hi = mid
        b, u = count(rs, hi)
        print(f"{m}: own threshold {own_u} caught, {own_b} harmless flagged; "
              f"at equal flags (unsafe threshold {hi:.3f}) {u} caught, {b} flagged")


if __name__ == "__main__":
    main()
