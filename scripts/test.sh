#!/usr/bin/env bash
# The test suite: every crate's unit tests, the CLI integration tests that
# drive the real binary, the judge tests against a loopback mock server,
# and the data-driven checks (rule examples, MCP tool corpus, dev-corpus
# acceptance) which read ../shared/ and skip with a message when absent.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/palisade-target}"
command -v cargo >/dev/null || { echo "cargo is required (rustup toolchain)"; exit 1; }
cargo test --workspace --locked "$@"
