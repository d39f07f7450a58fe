#!/usr/bin/env bash
# Installs what the workspace needs on a fresh machine: uv, then the locked Python
# environment (dev tools and the benchmark's peer engines included). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
    echo "bootstrap: installing uv" >&2
    python3 -m pip install --quiet --disable-pip-version-check uv
fi
uv sync --frozen --all-groups --quiet
