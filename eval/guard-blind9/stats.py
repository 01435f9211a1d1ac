#!/usr/bin/env python3
"""Structural validator and count tables for the guard-blind9 evaluation set.

Looks only at fields (ids, labels, kinds, langs, categories, shape prefixes,
text length). It never inspects or classifies the meaning of any text.
Exit status is 1 if any problem is found.
"""
import json
import os
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))

REQUIRED = ["id", "text", "label", "kind", "shape", "lang"]
LANGS = {"en", "zh", "de", "fr", "es", "it", "pt", "ja", "ko", "ru"}
CATEGORIES = ["violent", "non_violent_illegal", "sexual", "pii", "self_harm",
              "unethical", "politically_sensitive", "copyright"]
KINDS = {"prompt", "document", "tool_output", "tool_description"}
MIN_LEN, MAX_LEN = 10, 2200

FILES = {
    "attacks.jsonl": {
        "prefix": "b9a",
        "expect": {("injection", "document"): 25, ("injection", "tool_output"): 25,
                   ("injection", "tool_description"): 30, ("jailbreak", "prompt"): 50},
    },
    "unsafe.jsonl": {
        "prefix": "b9u",
        "expect": {("unsafe", "prompt"): 150},
        "categories": {"violent": 22, "non_violent_illegal": 28, "sexual": 14, "pii": 16,
                       "self_harm": 16, "unethical": 22, "politically_sensitive": 16,
                       "copyright": 16},
    },
    "benign.jsonl": {
        "prefix": "b9b",
        "expect": {("benign", "document"): 25, ("benign", "tool_output"): 25,
                   ("benign", "tool_description"): 30, ("benign", "prompt"): 220},
        "prompt_prefixes": {"risky_sounding_": 80, "borderline_": 80, "everyday_": 60},
    },
}

problems = []


def problem(msg):
    problems.append(msg)


def table(title, counter, row_keys, col_keys):
    print(f"\n{title}")
    width = max([len(" × ".join(r)) for r in row_keys] + [12])
    header = "| " + "label × kind".ljust(width) + " | " + " | ".join(c.rjust(4) for c in col_keys) + " | total |"
    print(header)
    print("|" + "-" * (width + 2) + "|" + "|".join("-" * 6 for _ in col_keys) + "|-------|")
    col_tot = Counter()
    for r in row_keys:
        cells = [counter[(r, c)] for c in col_keys]
        for c, v in zip(col_keys, cells):
            col_tot[c] += v
        print("| " + " × ".join(r).ljust(width) + " | " + " | ".join(str(v).rjust(4) for v in cells)
              + f" | {sum(cells):5d} |")
    print("| " + "total".ljust(width) + " | " + " | ".join(str(col_tot[c]).rjust(4) for c in col_keys)
          + f" | {sum(col_tot.values()):5d} |")


def main():
    all_rows = {}
    seen_ids = set()
    for fname, spec in FILES.items():
        path = os.path.join(HERE, fname)
        rows = []
        if not os.path.exists(path):
            problem(f"{fname}: missing")
            continue
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    problem(f"{fname}:{n}: blank line")
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    problem(f"{fname}:{n}: invalid JSON ({e})")
                    continue
                for k in REQUIRED:
                    if k not in obj or not isinstance(obj[k], str) or not obj[k]:
                        problem(f"{fname}:{n}: field '{k}' missing/empty/not a string")
                extra = set(obj) - set(REQUIRED) - {"category"}
                if extra:
                    problem(f"{fname}:{n}: unexpected fields {sorted(extra)}")
                rows.append(obj)
        all_rows[fname] = rows

        # ids
        for i, obj in enumerate(rows, 1):
            want = f"{spec['prefix']}-{i:04d}"
            if obj.get("id") != want:
                problem(f"{fname}: row {i} has id {obj.get('id')!r}, expected {want}")
            if obj.get("id") in seen_ids:
                problem(f"{fname}: duplicate id {obj.get('id')}")
            seen_ids.add(obj.get("id"))

        # field values
        lk = Counter()
        cats = Counter()
        prefixes = Counter()
        for obj in rows:
            oid = obj.get("id")
            lang, kind, label, shape = obj.get("lang"), obj.get("kind"), obj.get("label"), obj.get("shape", "")
            if lang not in LANGS:
                problem(f"{oid}: lang {lang!r} not allowed")
            if kind not in KINDS:
                problem(f"{oid}: kind {kind!r} not allowed")
            if shape != shape.lower() or " " in shape or "-" in shape:
                problem(f"{oid}: shape {shape!r} is not snake_case")
            ln = len(obj.get("text", ""))
            if not (MIN_LEN <= ln <= MAX_LEN):
                problem(f"{oid}: text length {ln} outside {MIN_LEN}..{MAX_LEN}")
            lk[(label, kind)] += 1
            cat = obj.get("category")
            needs_cat = fname == "unsafe.jsonl" or (
                fname == "benign.jsonl" and kind == "prompt"
                and (shape.startswith("risky_sounding_") or shape.startswith("borderline_")))
            if needs_cat:
                if cat not in CATEGORIES:
                    problem(f"{oid}: category {cat!r} missing or invalid")
                else:
                    cats[cat] += 1
            elif cat is not None and cat not in CATEGORIES:
                problem(f"{oid}: category {cat!r} invalid")
            if fname == "benign.jsonl" and kind == "prompt":
                p = next((p for p in spec["prompt_prefixes"] if shape.startswith(p)), None)
                if p is None:
                    problem(f"{oid}: benign prompt shape lacks a known prefix")
                else:
                    prefixes[p] += 1
                    if p != "everyday_":
                        cats[(p, cat)] += 1
        for key, n in spec["expect"].items():
            if lk[key] != n:
                problem(f"{fname}: {key} count {lk[key]} != expected {n}")
        for key in lk:
            if key not in spec["expect"]:
                problem(f"{fname}: unexpected label/kind {key} ({lk[key]})")
        if "categories" in spec:
            for c, n in spec["categories"].items():
                if cats[c] != n:
                    problem(f"{fname}: category {c} count {cats[c]} != expected {n}")
        if "prompt_prefixes" in spec:
            for p, n in spec["prompt_prefixes"].items():
                if prefixes[p] != n:
                    problem(f"{fname}: shape prefix {p} count {prefixes[p]} != expected {n}")
        if fname == "attacks.jsonl":
            ph = sum(1 for o in rows if o.get("label") == "jailbreak" and o.get("shape") == "plain_harmful")
            if ph != 10:
                problem(f"{fname}: plain_harmful jailbreaks {ph} != 10")

        # shape uniqueness (plain_harmful is a shared tag by design)
        sc = Counter(o.get("shape") for o in rows if o.get("shape") != "plain_harmful")
        for s, n in sc.items():
            if n > 1:
                problem(f"{fname}: shape used {n} times (should be unique)")
        # exact duplicate texts
        tc = Counter(o.get("text") for o in rows)
        dups = sum(1 for n in tc.values() if n > 1)
        if dups:
            problem(f"{fname}: {dups} exact duplicate texts")

    # cross-file shape / text duplicates
    shape_files = defaultdict(set)
    text_files = defaultdict(set)
    for fname, rows in all_rows.items():
        for o in rows:
            if o.get("shape") != "plain_harmful":
                shape_files[o.get("shape")].add(fname)
            text_files[o.get("text")].add(fname)
    if any(len(v) > 1 for v in shape_files.values()):
        problem("a shape tag is reused across files")
    if any(len(v) > 1 for v in text_files.values()):
        problem("an identical text appears in more than one file")

    # ---------------- tables ----------------
    langs_order = ["en", "zh", "de", "fr", "es", "it", "pt", "ja", "ko", "ru"]
    for fname, rows in all_rows.items():
        c = Counter(((o["label"], o["kind"]), o["lang"]) for o in rows)
        row_keys = sorted({k for k, _ in c})
        table(f"{fname} — label × kind × lang ({len(rows)} items)", c, row_keys, langs_order)
        lens = [len(o["text"]) for o in rows]
        print(f"text length: min {min(lens)}, median {sorted(lens)[len(lens)//2]}, max {max(lens)}")

    print("\nLanguage share per file")
    print("| file | en | zh | other | total |")
    print("|------|----|----|-------|-------|")
    for fname, rows in all_rows.items():
        lc = Counter(o["lang"] for o in rows)
        t = len(rows)
        other = t - lc["en"] - lc["zh"]
        print(f"| {fname} | {lc['en']} ({100*lc['en']/t:.0f}%) | {lc['zh']} ({100*lc['zh']/t:.0f}%) "
              f"| {other} ({100*other/t:.0f}%) | {t} |")

    print("\nunsafe.jsonl — category counts")
    print("| category | en | zh | other | total |")
    print("|----------|----|----|-------|-------|")
    u = all_rows.get("unsafe.jsonl", [])
    for cat in CATEGORIES:
        r = [o for o in u if o.get("category") == cat]
        en = sum(o["lang"] == "en" for o in r); zh = sum(o["lang"] == "zh" for o in r)
        print(f"| {cat} | {en} | {zh} | {len(r)-en-zh} | {len(r)} |")

    print("\nbenign.jsonl prompts — shape prefix × category")
    b = [o for o in all_rows.get("benign.jsonl", []) if o.get("kind") == "prompt"]
    print("| category | risky_sounding_ | borderline_ |")
    print("|----------|-----------------|-------------|")
    for cat in CATEGORIES:
        rs = sum(1 for o in b if o["shape"].startswith("risky_sounding_") and o.get("category") == cat)
        bl = sum(1 for o in b if o["shape"].startswith("borderline_") and o.get("category") == cat)
        print(f"| {cat} | {rs} | {bl} |")
    ev = sum(1 for o in b if o["shape"].startswith("everyday_"))
    print(f"| (everyday_, no category) | — | — | {ev} |")

    print("\nattacks.jsonl — jailbreak prompts with shape plain_harmful: "
          + str(sum(1 for o in all_rows.get("attacks.jsonl", []) if o.get("shape") == "plain_harmful")))

    print()
    if problems:
        print(f"PROBLEMS ({len(problems)}):")
        for p in problems:
            print("  - " + p)
        sys.exit(1)
    print("OK: all files valid")


if __name__ == "__main__":
    main()
