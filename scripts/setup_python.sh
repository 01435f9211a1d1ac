#!/usr/bin/env bash
# Creates (idempotently) the Python venv used by SDK-compatibility tests of the
# mock upstream and the gateway (the official `openai` and `anthropic` SDKs)
# and by the scanner's CycloneDX test (`jsonschema`, which validates the
# AI-BOM against the official CycloneDX 1.6 schema). Pinned so that a change
# in a new release cannot silently break CI.
#
# Usage: scripts/setup_python.sh
#   PALISADE_VENV  venv location (default: $HOME/.cache/palisade/venv)
#   PYTHON         interpreter used to create the venv (default: python3)
# The last line printed is the venv's python path.
set -euo pipefail

OPENAI_VERSION="3.57.0"
ANTHROPIC_VERSION="2.14.0"
JSONSCHEMA_VERSION="4.23.0"

VENV="${PALISADE_VENV:-$HOME/.cache/palisade/venv}"
PYTHON="${PYTHON:-python3}"
VPY="$VENV/bin/python"

die() {
    echo "setup_python.sh: error: $*" >&2
    exit 1
}

# Fast path: an existing venv that already holds the exact pins needs nothing,
# so repeated calls from CI or test harnesses cost well under a second.
have_pins() {
    [ -x "$VPY" ] || return 1
    "$VPY" - "$OPENAI_VERSION" "$ANTHROPIC_VERSION" "$JSONSCHEMA_VERSION" >/dev/null 2>&1 <<'EOF'
import sys
from importlib.metadata import version
# Package metadata, not `import openai`: importing the SDKs takes seconds.
ok = (version("openai") == sys.argv[1] and version("anthropic") == sys.argv[2]
      and version("jsonschema") == sys.argv[3])
sys.exit(0 if ok else 1)
EOF
}

if have_pins; then
    echo "python venv at $VENV already has openai==$OPENAI_VERSION anthropic==$ANTHROPIC_VERSION jsonschema==$JSONSCHEMA_VERSION" >&2
    echo "$VPY"
    exit 0
fi

command -v "$PYTHON" >/dev/null 2>&1 || die "'$PYTHON' not found; install Python 3 (e.g. apt-get install python3 python3-venv)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
    || die "'$PYTHON' is older than Python 3.9, which the pinned SDKs need"

if [ ! -x "$VPY" ]; then
    echo "creating python venv at $VENV" >&2
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV" \
        || die "could not create a venv at $VENV (on Debian: apt-get install python3-venv)"
fi

echo "installing openai==$OPENAI_VERSION anthropic==$ANTHROPIC_VERSION jsonschema==$JSONSCHEMA_VERSION into $VENV" >&2
"$VPY" -m pip install --quiet --disable-pip-version-check \
    "openai==$OPENAI_VERSION" "anthropic==$ANTHROPIC_VERSION" "jsonschema==$JSONSCHEMA_VERSION" >&2 \
    || die "pip install of openai==$OPENAI_VERSION anthropic==$ANTHROPIC_VERSION jsonschema==$JSONSCHEMA_VERSION failed"

have_pins || die "venv at $VENV does not import the pinned SDK versions after install"

echo "$VPY"
