#!/usr/bin/env bash
# Model-file scanner comparison on the labelled corpus
# (../shared/datasets/infra/models, labels.jsonl): recall on malicious files and
# false-positive rate on benign ones for picklescan and modelscan (PyPI, in their
# own venv) and for Palisade.
#
# Palisade's side: with PALISADE_BIN set, `$PALISADE_BIN scan --format json FILE`
# runs per file and a file counts as detected when the JSON carries a
# `"verdict": "malicious"`. Without it, the crate's corpus test
# (crates/modelfile/tests/corpus.rs) prints the same numbers.
# Usage: [PALISADE_BIN=target/release/palisade] bench/models.sh [output.md]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/palisade-target}"
corpus="${CORPUS:-../shared/datasets/infra/models}"
out="${1:-}"
venv="$HOME/.cache/palisade/venv-modelscan"
if [ ! -x "$venv/bin/picklescan" ] || [ ! -x "$venv/bin/modelscan" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q picklescan modelscan
fi
args=(--corpus "$corpus" --picklescan "$venv/bin/picklescan" --modelscan "$venv/bin/modelscan")
if [ -n "${PALISADE_BIN:-}" ]; then
  args+=(--palisade "$PALISADE_BIN")
fi
if [ -n "$out" ]; then
  args+=(--out "$out")
fi
"$venv/bin/python" bench/models_peers.py "${args[@]}"
if [ -z "${PALISADE_BIN:-}" ]; then
  echo "PALISADE_BIN not set: running the palisade-modelfile corpus test instead" >&2
  CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" cargo test -q -p palisade-modelfile --test corpus -- --nocapture 2>&1 \
    | grep -E '^\||^recall|^MISS|^FALSE' || true
fi
