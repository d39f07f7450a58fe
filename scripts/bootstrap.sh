#!/usr/bin/env bash
# Installs what the workspace needs on a fresh machine: uv, then the locked Python
# environment (dev tools and the benchmark's peer engines included), then the browser
# terminal's tools and locked npm dependencies (scripts/web-terminal.sh setup: Node.js,
# npm and Chromium from apt-get when missing), then nginx (the stack's edge; the edge
# config's tests in tests/infra run it too, so make test needs it before pytest starts).
# Idempotent, quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
    echo "bootstrap: installing uv" >&2
    python3 -m pip install --quiet --disable-pip-version-check uv
fi
uv sync --frozen --all-groups --quiet
scripts/web-terminal.sh setup

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    echo "bootstrap: installing nginx (apt-get)" >&2
    scripts/apt-install.sh --no-start nginx
fi
