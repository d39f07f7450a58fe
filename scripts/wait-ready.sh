#!/usr/bin/env bash
# Waits until every program of the running local stack is ready (each service's /readyz,
# and nginx routing /api/v1/stocks); names the ones that are not, with their log.
#   scripts/wait-ready.sh [TIMEOUT_SECONDS]   (default 120)
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python scripts/stack.py wait --timeout "${1:-120}"
