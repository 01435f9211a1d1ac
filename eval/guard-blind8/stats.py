#!/usr/bin/env python3
"""Field counter/validator for guard-blind8. Reads only the id/label/kind/lang/shape/category
fields (and text length); it never inspects or classifies item text."""
import json, sys, collections, os
HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = {
    "attacks.jsonl": ("b8a", 140, {("injection", "document"): 25, ("injection", "tool_output"): 25,
                                   ("injection", "tool_description"): 30, ("jailbreak", "prompt"): 60}),
    "unsafe.jsonl": ("b8u", 100, {("unsafe", "prompt"): 100}),
    "benign.jsonl": ("b8b", 240, {("benign", "document"): 25, ("benign", "tool_output"): 25,
                                  ("benign", "tool_description"): 30, ("benign", "prompt"): 160}),
}
UNSAFE_CATS = {"violent": 15, "non_violent_illegal": 20, "sexual": 10, "pii": 10, "self_harm": 10,
               "unethical": 15, "politically_sensitive": 10, "copyright": 10}
KEYS = {"id", "text", "label", "kind", "shape", "lang"}
errors = []
rows = {}
for fn, (prefix, n, lk) in SPEC.items():
    recs = []
    with open(os.path.join(HERE, fn), encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            try:
                r = json.loads(line)
            except Exception as e:
                errors.append(f"{fn}:{i} bad JSON {e}"); continue
            extra = set(r) - KEYS - {"category"}
            if not KEYS <= set(r) or extra:
                errors.append(f"{fn}:{i} fields {sorted(r)}")
            if r.get("id") != f"{prefix}-{i:04d}":
                errors.append(f"{fn}:{i} id {r.get('id')}")
            if not r["shape"].replace("_", "").isalnum() or r["shape"] != r["shape"].lower():
                errors.append(f"{fn}:{i} shape not snake_case")
            recs.append(r)
    rows[fn] = recs
    if len(recs) != n: errors.append(f"{fn}: {len(recs)} items, expected {n}")
    c = collections.Counter((r["label"], r["kind"]) for r in recs)
    if dict(c) != lk: errors.append(f"{fn}: label/kind {dict(c)}")
ids = [r["id"] for recs in rows.values() for r in recs]
if len(ids) != len(set(ids)): errors.append("duplicate ids")
# category rules
u = collections.Counter(r.get("category") for r in rows["unsafe.jsonl"])
if dict(u) != UNSAFE_CATS: errors.append(f"unsafe categories {dict(u)}")
bcat = [r for r in rows["benign.jsonl"] if "category" in r]
if len(bcat) != 50 or any(r["kind"] != "prompt" or r["category"] not in UNSAFE_CATS for r in bcat):
    errors.append("benign borderline category count/values")
if any("category" in r for r in rows["attacks.jsonl"]): errors.append("category in attacks")
ph = sum(1 for r in rows["attacks.jsonl"] if r["shape"] == "plain_harmful")
if ph != 15: errors.append(f"plain_harmful {ph}")
sub = collections.Counter(r["shape"].split("_")[0] for r in rows["benign.jsonl"] if r["kind"] == "prompt")
if sub != {"risky": 60, "borderline": 50, "everyday": 50}: errors.append(f"benign prompt subgroups {sub}")

out = []
P = out.append
P("## Counts (label × kind × lang)\n")
langs = sorted({r["lang"] for recs in rows.values() for r in recs}, key=lambda l: (l != "en", l != "zh", l))
P("| file | label | kind | " + " | ".join(langs) + " | total | zh share |")
P("|---|---|---|" + "---|" * len(langs) + "---|---|")
for fn, recs in rows.items():
    groups = collections.OrderedDict()
    for r in recs:
        key = (r["label"], r["kind"])
        if fn == "benign.jsonl" and r["kind"] == "prompt":
            key = ("benign", "prompt (" + r["shape"].split("_")[0] + ")")
        groups.setdefault(key, collections.Counter())[r["lang"]] += 1
    for (lab, kind), c in groups.items():
        tot = sum(c.values())
        P(f"| {fn} | {lab} | {kind} | " + " | ".join(str(c.get(l, 0) or "") for l in langs) + f" | {tot} | {c.get('zh',0)/tot:.0%} |")
allc = collections.Counter(r["lang"] for recs in rows.values() for r in recs)
P("| **all** | | | " + " | ".join(f"**{allc[l]}**" for l in langs) + f" | **{sum(allc.values())}** | {allc['zh']/sum(allc.values()):.0%} |")
P("\n## Category counts\n")
P("| category | unsafe.jsonl | benign.jsonl (borderline prompts) |")
P("|---|---|---|")
bc = collections.Counter(r["category"] for r in bcat)
for k in UNSAFE_CATS:
    P(f"| {k} | {u[k]} | {bc[k]} |")
P(f"| **total** | {sum(u.values())} | {sum(bc.values())} |")
P("\n## Shapes\n")
P("Counts per shape tag, by file and kind (benign prompt shapes carry a `risky_sounding_`, `borderline_` or `everyday_` prefix).\n")
for fn, recs in rows.items():
    kinds = collections.OrderedDict()
    for r in recs:
        kinds.setdefault((r["label"], r["kind"]), collections.Counter())[r["shape"]] += 1
    for (lab, kind), c in kinds.items():
        P(f"**{fn} — {lab} / {kind}** ({sum(c.values())} items, {len(c)} shapes): " +
          ", ".join(f"`{s}` ×{n}" if n > 1 else f"`{s}`" for s, n in sorted(c.items(), key=lambda x: (-x[1], x[0]))))
        P("")
lens = [len(r["text"]) for recs in rows.values() for r in recs]
P(f"Text length: min {min(lens)}, median {sorted(lens)[len(lens)//2]}, max {max(lens)} characters.")
if errors:
    print("VALIDATION ERRORS:", *errors, sep="\n", file=sys.stderr); sys.exit(1)
print("\n".join(out))
print("\nvalidation: OK", file=sys.stderr)
