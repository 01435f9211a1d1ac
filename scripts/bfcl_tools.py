#!/usr/bin/env python3
"""Real, harmless tool descriptions for measuring the tool-poisoning rules'
false positives: every distinct function definition in the pinned
`bfcl-eval` wheel (Berkeley Function-Calling Leaderboard, Apache-2.0) that
`scripts/fetch_corpora.py` downloads, written one per line for
`palisade guard --jsonl` with `kind: tool_description` (alternately as the
function's JSON and as a "name: description" line).

Usage: python3 scripts/bfcl_tools.py > /tmp/bfcl_tools.jsonl
       palisade guard --jsonl < /tmp/bfcl_tools.jsonl | grep -c '"flagged":true'
"""

import json
import sys
import zipfile
from pathlib import Path

WHEEL = Path.home() / ".cache/palisade/corpora/_archives/bfcl_eval-2026.3.23-py3-none-any.whl"


def main() -> int:
    if not WHEEL.exists():
        print(f"{WHEEL} is missing: run scripts/fetch_corpora.py first", file=sys.stderr)
        return 1
    seen = set()
    n = 0
    with zipfile.ZipFile(WHEEL) as z:
        for name in sorted(z.namelist()):
            if not name.endswith(".json") or any(
                s in name for s in ("possible_answer", "unused", "memory_prereq")
            ):
                continue
            for line in z.read(name).decode("utf-8").splitlines():
                try:
                    r = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if not isinstance(r, dict):
                    continue
                fs = r.get("function")
                if fs is None and "name" in r and "description" in r:
                    fs = [r]
                for f in fs if isinstance(fs, list) else [fs] if isinstance(fs, dict) else []:
                    if not isinstance(f, dict) or not f.get("description"):
                        continue
                    key = (f.get("name"), f.get("description"))
                    if key in seen:
                        continue
                    seen.add(key)
                    n += 1
                    text = json.dumps(f, ensure_ascii=False) if n % 2 else f"{f.get('name')}: {f.get('description')}"
                    print(json.dumps({"id": f"bfcl{n}", "text": text, "kind": "tool_description"}, ensure_ascii=False))
    print(f"{n} tool descriptions", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
