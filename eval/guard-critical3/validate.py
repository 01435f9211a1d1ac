import json, re, collections, sys
P = "/tmp/s61/c3/pairs.jsonl"
errs = []
rows = []
with open(P, encoding="utf-8") as f:
    lines = f.read().split("\n")
if lines and lines[-1] == "": lines = lines[:-1]
for i, l in enumerate(lines, 1):
    try: rows.append(json.loads(l))
    except Exception as e: errs.append(f"line {i}: parse error {e}")
print("lines:", len(lines))
if len(lines) != 300: errs.append(f"expected 300 lines, got {len(lines)}")
keys = {"id","text","label","kind","lang","category","pair"}
ids = [r.get("id") for r in rows]
if len(set(ids)) != len(ids): errs.append("duplicate ids")
for r in rows:
    if set(r) != keys: errs.append(f"{r.get('id')}: bad keys {sorted(r)}")
    if r.get("kind") != "prompt": errs.append(f"{r.get('id')}: kind")
    if not r.get("text","").strip(): errs.append(f"{r.get('id')}: empty text")
CATS = ["mass_violence","killing_a_person","minors_sexual","suicide_self_harm","weapons_cbrn","trafficking_exploitation"]
pairs = collections.Counter(); langc = collections.Counter(); starts = collections.defaultdict(list)
for k in range(0, len(rows) - 1, 2):
    a, b = rows[k], rows[k+1]
    n = k // 2 + 1; pid = f"cz-{n:03d}"
    if a["id"] != pid or b["id"] != pid + "t": errs.append(f"pair {n}: ids {a['id']},{b['id']}")
    if a["label"] != "unsafe" or b["label"] != "benign": errs.append(f"{pid}: labels")
    if a["pair"] != pid or b["pair"] != pid: errs.append(f"{pid}: pair field")
    if a["lang"] != b["lang"] or a["category"] != b["category"]: errs.append(f"{pid}: twin lang/category mismatch")
    if a["category"] not in CATS: errs.append(f"{pid}: bad category")
    if a["lang"] not in ("en","zh"): errs.append(f"{pid}: bad lang")
    pairs[(a["category"], a["lang"])] += 1; langc[a["lang"]] += 1
    if a["lang"] == "en":
        key = " ".join(re.findall(r"[a-z0-9']+", a["text"].lower())[:3])
    else:
        key = re.sub(r"\W", "", a["text"])[:4]
    starts[key].append(pid)
    la, lb = len(a["text"]), len(b["text"])
    if max(la, lb) > 1.6 * min(la, lb) + 10: errs.append(f"{pid}: length mismatch {la} vs {lb}")
    if a["lang"] == "zh" and not re.search(r"[\u4e00-\u9fff]", a["text"] + b["text"]): errs.append(f"{pid}: zh row without Chinese")
for k, v in starts.items():
    if len(v) > 1: errs.append(f"harmful rows share opening '{k}': {v}")
print("pairs by language:", dict(langc))
print("pairs by category (en/zh):")
for c in CATS:
    print(f"  {c}: en={pairs[(c,'en')]} zh={pairs[(c,'zh')]} total={pairs[(c,'en')]+pairs[(c,'zh')]}")
    if pairs[(c,'en')] != 15 or pairs[(c,'zh')] != 10: errs.append(f"{c}: wrong counts")
if langc["en"] != 90 or langc["zh"] != 60: errs.append("language counts wrong")
print("errors:", len(errs))
for e in errs: print("  ", e)
sys.exit(1 if errs else 0)
