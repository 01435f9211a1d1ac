#!/usr/bin/env bash
# DLP throughput, side by side in one run: `palisade dlp scan` (full
# catalogue: data types and credentials) against detect-secrets (PyPI,
# installed here into its own venv), on the same mixed text built from the
# shared corpora (prompts, PII records, secret samples) and this
# repository's source. detect-secrets only looks for credentials, so its
# job is smaller; the ratio is still what a user choosing a scanner sees.
# Usage: bench/dlp.sh [MiB of text, default 4]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/palisade-target}"
mib="${1:-4}"
venv="$HOME/.cache/palisade/venv-detect-secrets"
if [ ! -x "$venv/bin/detect-secrets" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'detect-secrets==1.5.0'
fi
cargo build --release --locked -q -p palisade-cli
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
python3 - "$work/mixed.txt" "$mib" <<'PY'
import glob, json, random, sys
out, mib = sys.argv[1], int(sys.argv[2])
random.seed(7)
parts = []
for f in sorted(glob.glob('../shared/datasets/guard/*.jsonl') + glob.glob('../shared/datasets/pii/*.jsonl')
                + ['../shared/datasets/infra/secrets/samples.jsonl']):
    for line in open(f, encoding='utf-8'):
        try:
            parts.append(json.loads(line)['text'])
        except Exception:
            pass
for f in glob.glob('crates/**/*.rs', recursive=True):
    parts.append(open(f, encoding='utf-8').read())
random.shuffle(parts)
n, limit = 0, mib << 20
with open(out, 'w', encoding='utf-8') as o:
    while n < limit:
        for p in parts:
            o.write(p + '\n')
            n += len(p.encode()) + 1
            if n >= limit:
                break
PY
bytes=$(stat -c %s "$work/mixed.txt")
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
# detect-secrets skips files outside a git checkout's tracked set when run
# inside one, and verifies secrets over the network unless told not to.
# The engine alone (`dlp bench`: catalogue loaded once, one thread, the
# first pass cold, then the steady state) around the detect-secrets run,
# so the per-core figure the target names comes from the same run.
bench() { "$CARGO_TARGET_DIR/release/palisade" dlp bench "$work/mixed.txt" --rounds 5 2>&1 | grep '^whole file'; }
p1=$(t "$CARGO_TARGET_DIR/release/palisade" dlp scan "$work/mixed.txt")
b1=$(bench)
d1=$(cd "$work" && t "$venv/bin/detect-secrets" scan --no-verify mixed.txt)
p2=$(t "$CARGO_TARGET_DIR/release/palisade" dlp scan "$work/mixed.txt")
b2=$(bench)
echo "text: $bytes bytes"
echo "palisade dlp scan (whole process, catalogue load and cold first pass included): $p1 s, $p2 s → $(echo "scale=1; $bytes / 1048576 / $p2" | bc) MiB/s"
echo "detect-secrets (whole process):                                        $d1 s → $(echo "scale=2; $bytes / 1048576 / $d1" | bc) MiB/s"
echo "ratio (whole processes): $(echo "scale=0; $d1 / $p2" | bc)x"
echo "palisade dlp bench, before: $b1"
echo "palisade dlp bench, after:  $b2"
echo "target: 200 MB/s = 190.7 MiB/s per core, steady state (the medians above)"
