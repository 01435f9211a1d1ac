#!/usr/bin/env bash
# The test suite: every crate's unit tests, the CLI integration tests that
# drive the real binary, the judge tests against a loopback mock server,
# the gateway over HTTP (mock upstream on loopback, official Python SDKs),
# and the data-driven checks (rule examples, MCP tool corpus, dev-corpus
# acceptance) which read ../shared/ and skip with a message when absent.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/palisade-target}"
command -v cargo >/dev/null || { echo "cargo is required (rustup toolchain)"; exit 1; }
# The gateway's SDK tests drive it with the official openai and anthropic
# Python SDKs, pinned in a venv that this installs (idempotent, ~0.1 s when
# already there); they fail rather than skip when it is missing.
scripts/setup_python.sh >/dev/null
export PALISADE_REQUIRE_SDK=1
cargo test --workspace --locked "$@"
