#!/usr/bin/env python3
"""Validate and measure the tier-1 guard rule packs (rules/guard/*.yaml).

Checks performed:
  * schema: required fields, id prefix per pack, unique ids across packs,
    severity / category / kinds values, score range, >= 2 positive and
    >= 2 negative examples per rule;
  * Rust `regex` compatibility (heuristic): no look-around, no
    back-references, no atomic groups / possessive quantifiers, no `{,n}`,
    no `\\Z`, no unescaped `[` or set operators (`&&`, `--`, `~~`) inside a
    character class (Rust would parse them as nested classes / set ops);
  * every rule's own examples (positives must fire, negatives must not);
  * dev-set statistics: per rule and per pack, hits by label on each
    /work/shared/datasets/guard/*.jsonl file; union coverage of attack rows;
    list of benign hits with excerpts;
  * MCP tool definitions (/work/shared/datasets/infra/mcp/tools.json): every
    poisoned tool must be hit by some rule and no benign tool may be hit.

Matching approximates the engine: patterns are matched case-insensitively
(unless `case_sensitive: true`) against the NFKC-normalised text with
invisible characters removed, its lower-cased copy, and decoded base64
segments. `kinds` is honoured with a per-file kind mapping (BIPIA ->
document, AgentDojo -> tool_output, tools.json -> tool_description, all
other files -> prompt).

Usage:
  python3 scripts/rulecheck.py                 # full report
  python3 scripts/rulecheck.py --rule pi.foo   # show rows a rule hits
  python3 scripts/rulecheck.py --quiet         # only errors + summary
  python3 scripts/rulecheck.py --misses FILE   # print attack rows not hit
"""
import argparse
import base64
import binascii
import collections
import glob
import json
import os
import re
import sys
import unicodedata

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("PyYAML missing: pip install pyyaml")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RULE_DIR = os.path.join(ROOT, "rules", "guard")
DATA_DIR = "/work/shared/datasets/guard"
TOOLS = "/work/shared/datasets/infra/mcp/tools.json"

PREFIX = {
    "prompt_injection": "pi.",
    "jailbreak": "jb.",
    "system_prompt_extraction": "spe.",
    "tool_poisoning": "tp.",
    "unsafe_content": "unsafe.",
}
CATEGORIES = {
    "prompt_injection", "jailbreak", "system_prompt_extraction",
    "tool_poisoning", "violent", "non_violent_illegal", "sexual", "pii",
    "self_harm", "unethical", "politically_sensitive", "copyright",
    "unsafe_other", "prompt_leak", "obfuscation",
}
SEVERITIES = {"info", "low", "medium", "high", "critical"}
KINDS = {"prompt", "document", "tool_description", "tool_output"}
ALLOWED_KEYS = {
    "id", "category", "severity", "score", "languages", "kinds",
    "description", "patterns", "examples", "case_sensitive",
}

FILE_KIND = {
    "bipia_indirect.jsonl": "document",
    "agentdojo_injections.jsonl": "tool_output",
}

INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
                       "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
                       "\ufe00-\ufe0f\ufeff\uffa0]")
B64 = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")


def normalise(text):
    t = unicodedata.normalize("NFKC", text)
    return INVISIBLE.sub("", t)


def views(text):
    t = normalise(text)
    out = [t, t.lower()]
    for m in B64.finditer(t):
        s = m.group(0)
        try:
            dec = base64.b64decode(s + "=" * (-len(s) % 4), validate=False)
            d = dec.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if sum(c.isprintable() or c.isspace() for c in d) >= 0.9 * max(1, len(d)):
            out.append(d)
    return out


def rust_compat_errors(p):
    errs = []
    if re.search(r"\(\?<?[=!]", p):
        errs.append("look-around")
    if re.search(r"(?<!\\)\\[1-9]", p) or "(?P=" in p:
        errs.append("back-reference")
    if "(?>" in p:
        errs.append("atomic group")
    if re.search(r"[*+?}][+]", p) and not re.search(r"\\[*+?}]\+", p):
        errs.append("possessive quantifier?")
    if re.search(r"(?<!\\)\{,\d", p):
        errs.append("{,n} quantifier (Rust needs {0,n})")
    if re.search(r"(?<!\\)(?:\\\\)*\\[<>]", p):
        errs.append("\\< or \\> (word-boundary assertions in Rust regex >= 1.10)")
    m = re.search(r"(?<!\\)(?:\\\\)*\\([a-zA-Z])", p)
    for m in re.finditer(r"\\(.)", p):
        c = m.group(1)
        if c.isalpha() and c not in "dDwWsSbBpPnrtfvxuUazA":
            errs.append("escape \\%s not supported by Rust regex" % c)
    if "\\Z" in p:
        errs.append("\\Z (use \\z)")
    # scan character classes
    i, n = 0, len(p)
    while i < n:
        c = p[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            j = i + 1
            if j < n and p[j] == "^":
                j += 1
            if j < n and p[j] == "]":
                j += 1
            while j < n and p[j] != "]":
                if p[j] == "\\":
                    j += 2
                    continue
                if p[j] == "[":
                    errs.append("unescaped '[' inside class (nested class in Rust)")
                if p[j:j + 2] in ("&&", "--", "~~"):
                    errs.append("set operator %r inside class" % p[j:j + 2])
                j += 1
            i = j + 1
            continue
        i += 1
    return errs


def load_packs():
    packs, errors = [], []
    seen = {}
    for path in sorted(glob.glob(os.path.join(RULE_DIR, "*.yaml"))):
        name = os.path.basename(path)
        try:
            doc = yaml.safe_load(open(path, encoding="utf-8"))
        except yaml.YAMLError as e:
            errors.append("%s: YAML error: %s" % (name, e))
            continue
        pack = doc.get("pack")
        prefix = PREFIX.get(pack)
        if prefix is None:
            errors.append("%s: unknown pack name %r" % (name, pack))
            prefix = ""
        if doc.get("version") != 1:
            errors.append("%s: version must be 1" % name)
        rules = []
        for r in doc.get("rules") or []:
            rid = r.get("id", "?")
            where = "%s:%s" % (name, rid)
            extra = set(r) - ALLOWED_KEYS
            if extra:
                errors.append("%s: unknown keys %s" % (where, sorted(extra)))
            if not rid.startswith(prefix):
                errors.append("%s: id must start with %s" % (where, prefix))
            if not re.fullmatch(r"[a-z]+\.[a-z0-9_]+", rid):
                errors.append("%s: bad id format" % where)
            if rid in seen:
                errors.append("%s: duplicate id (also in %s)" % (where, seen[rid]))
            seen[rid] = name
            if r.get("category") not in CATEGORIES:
                errors.append("%s: bad category %r" % (where, r.get("category")))
            if r.get("severity") not in SEVERITIES:
                errors.append("%s: bad severity %r" % (where, r.get("severity")))
            sc = r.get("score")
            if not isinstance(sc, (int, float)) or not 0.6 <= sc <= 0.98:
                errors.append("%s: score %r outside 0.6..0.98" % (where, sc))
            if not r.get("languages"):
                errors.append("%s: languages missing" % where)
            if not r.get("description"):
                errors.append("%s: description missing" % where)
            kinds = r.get("kinds")
            if kinds is not None and (not kinds or set(kinds) - KINDS):
                errors.append("%s: bad kinds %r" % (where, kinds))
            ex = r.get("examples") or {}
            pos, neg = ex.get("positive") or [], ex.get("negative") or []
            if len(pos) < 2 or len(neg) < 2:
                errors.append("%s: needs >=2 positive and >=2 negative examples" % where)
            flags = 0 if r.get("case_sensitive") else re.IGNORECASE
            comp = []
            pats = r.get("patterns") or []
            if not pats:
                errors.append("%s: no patterns" % where)
            for p in pats:
                for e in rust_compat_errors(p):
                    errors.append("%s: pattern %r: %s" % (where, p, e))
                try:
                    comp.append(re.compile(p, flags))
                except re.error as e:
                    errors.append("%s: pattern %r does not compile: %s" % (where, p, e))
            rule = dict(r)
            rule["_re"] = comp
            rule["_pack"] = pack
            rule["_kinds"] = set(kinds) if kinds else KINDS
            for t in pos:
                if not fires(rule, t):
                    errors.append("%s: positive example does not fire: %r" % (where, t))
            for t in neg:
                if fires(rule, t):
                    errors.append("%s: negative example fires: %r" % (where, t))
            rules.append(rule)
        packs.append((pack, name, rules))
    return packs, errors


def fires(rule, text, vs=None):
    if vs is None:
        vs = views(text)
    for rx in rule["_re"]:
        for v in vs:
            if rx.search(v):
                return True
    return False


def tool_text(tool):
    parts = [tool.get("description", "")]

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "properties" and isinstance(v, dict):
                    for pk, pv in v.items():
                        parts.append(pk)
                        walk(pv)
                else:
                    walk(v)
        elif isinstance(o, list):
            for x in o:
                walk(x)
        elif isinstance(o, str):
            parts.append(o)

    walk(tool.get("inputSchema", {}))
    return "\n".join(p for p in parts if p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rule", help="show dev rows hit by this rule id")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--misses", help="print attack rows of this file not hit by any rule")
    ap.add_argument("--max", type=int, default=40)
    args = ap.parse_args()

    packs, errors = load_packs()
    all_rules = [r for _, _, rs in packs for r in rs]

    data = {}
    for path in sorted(glob.glob(os.path.join(DATA_DIR, "*.jsonl"))):
        fn = os.path.basename(path)
        rows = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
        kind = FILE_KIND.get(fn, "prompt")
        for r in rows:
            r["_views"] = views(r["text"])
            r["_kind"] = kind
            r["_file"] = fn
        data[fn] = rows

    # rule -> set of (file, idx)
    hits = {}
    for rule in all_rules:
        hs = set()
        for fn, rows in data.items():
            for i, r in enumerate(rows):
                if r["_kind"] in rule["_kinds"] and fires(rule, None, r["_views"]):
                    hs.add((fn, i))
        hits[rule["id"]] = hs

    if args.rule:
        hs = sorted(hits.get(args.rule, ()))
        for fn, i in hs[: args.max]:
            r = data[fn][i]
            t = r["text"]
            m = None
            rule = next(x for x in all_rules if x["id"] == args.rule)
            for rx in rule["_re"]:
                for v in r["_views"]:
                    m = rx.search(v)
                    if m:
                        break
                if m:
                    break
            s = max(0, m.start() - 60) if m else 0
            print("[%s %s] ...%s..." % (r["label"], fn, t[s:s + 220].replace("\n", " ")))
        print("total", len(hs))
        return

    labels = ["injection", "jailbreak", "unsafe", "benign"]
    total_by_label = collections.Counter(r["label"] for rows in data.values() for r in rows)

    def label_counts(hs):
        c = collections.Counter(data[fn][i]["label"] for fn, i in hs)
        return c

    if not args.quiet:
        for pack, name, rules in packs:
            print("\n=== %s (%s): %d rules" % (pack, name, len(rules)))
            for rule in rules:
                c = label_counts(hits[rule["id"]])
                per_file = collections.Counter(fn for fn, _ in hits[rule["id"]])
                pf = " ".join("%s:%d" % (f.split("_")[0][:8], n) for f, n in sorted(per_file.items()))
                flag = "  <-- BENIGN" if c["benign"] else ("  (no dev hits)" if not hits[rule["id"]] else "")
                print("  %-40s inj=%-4d jb=%-4d uns=%-4d ben=%-3d %s%s" % (
                    rule["id"], c["injection"], c["jailbreak"], c["unsafe"], c["benign"], pf, flag))

    print("\n=== pack summary")
    union_all = set()
    for pack, name, rules in packs:
        u = set()
        for rule in rules:
            u |= hits[rule["id"]]
        union_all |= u
        c = label_counts(u)
        print("  %-26s rules=%-4d inj=%-4d jb=%-4d uns=%-4d ben=%d" % (
            pack, len(rules), c["injection"], c["jailbreak"], c["unsafe"], c["benign"]))
    c = label_counts(union_all)
    print("  %-26s rules=%-4d inj=%-4d jb=%-4d uns=%-4d ben=%d" % (
        "ALL", len(all_rules), c["injection"], c["jailbreak"], c["unsafe"], c["benign"]))
    print("  dev totals: " + " ".join("%s=%d" % (l, total_by_label[l]) for l in labels))
    att = total_by_label["injection"] + total_by_label["jailbreak"]
    print("  attack (inj+jb) coverage: %d/%d = %.1f%%" % (
        c["injection"] + c["jailbreak"], att, 100.0 * (c["injection"] + c["jailbreak"]) / att))

    print("\n=== per-file union coverage")
    for fn, rows in data.items():
        cnt = collections.Counter(r["label"] for r in rows)
        hitc = collections.Counter(data[f][i]["label"] for f, i in union_all if f == fn)
        print("  %-30s " % fn + " ".join("%s %d/%d" % (l, hitc[l], cnt[l]) for l in labels if cnt[l]))

    print("\n=== benign hits")
    nb = 0
    for rule in all_rules:
        for fn, i in sorted(hits[rule["id"]]):
            r = data[fn][i]
            if r["label"] == "benign":
                nb += 1
                print("  %s [%s] %s" % (rule["id"], fn, r["text"][:160].replace("\n", " ")))
    print("  total benign (rule,row) hits: %d" % nb)

    print("\n=== tools.json")
    tools = json.load(open(TOOLS, encoding="utf-8"))
    bad = 0
    for t in tools:
        txt = tool_text(t["tool"])
        vs = views(txt)
        fired = [r["id"] for r in all_rules if "tool_description" in r["_kinds"] and fires(r, None, vs)]
        ok = bool(fired) == (t["label"] == "poisoned")
        bad += not ok
        print("  %s %-8s %-30s %s %s" % ("ok " if ok else "BAD", t["label"], t["id"] + ":" + t["tool"]["name"],
                                         len(fired), ",".join(fired[:8])))
    print("  tools mismatches: %d" % bad)

    if args.misses:
        rows = data[args.misses]
        for i, r in enumerate(rows):
            if r["label"] in ("injection", "jailbreak") and (args.misses, i) not in union_all:
                print("MISS", r.get("category"), "|", r["text"][:300].replace("\n", " "))

    print("\n=== errors: %d" % len(errors))
    for e in errors:
        print("  " + e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
