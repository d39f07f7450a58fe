#!/usr/bin/env bash
# Stops everything scripts/up.sh started (make down): supervisord stops every service, the
# exchange shards and nginx, then exits. PostgreSQL and RabbitMQ keep running (shared
# machine services; scripts/infra-up.sh starts them). Idempotent: fine when nothing runs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || { echo "down: the stack is not running (no environment yet)"; exit 0; }
VAR=$("$PY" scripts/stack.py var)  # BOURSE_STACK=e2e: the test suite's instance
CONF="$VAR/supervisor/supervisord.conf"
PIDFILE="$VAR/supervisor/supervisord.pid"

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

pid=$(cat "$PIDFILE" 2>/dev/null || true)
if [ -x "$PY" ] && [ -f "$CONF" ] && "$PY" scripts/stack.py running; then
    echo "down: stopping every program and supervisord"
    "$ROOT/.venv/bin/supervisorctl" -c "$CONF" shutdown >/dev/null
    # shutdown returns at once; supervisord stops its programs (stopwaitsecs 15 each).
    for _ in $(seq 1 120); do alive "$pid" || break; sleep 0.25; done
    if alive "$pid"; then
        echo "down: supervisord (pid $pid) is still stopping; check make ps" >&2
        exit 1
    fi
elif alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "supervisord" ]; then
    # The pidfile points at a supervisord that does not answer on its socket.
    echo "down: supervisord (pid $pid) does not answer: sending it TERM"
    kill -TERM "$pid"
    for _ in $(seq 1 120); do alive "$pid" || break; sleep 0.25; done
else
    echo "down: the stack is not running"
    was_down=1
fi

# Anything still listening on the stack's ports was not stopped by supervisord.
if [ -x "$PY" ] && ! taken=$("$PY" scripts/stack.py ports 2>&1); then
    echo "down: ports of the stack are still taken (not by this stack's supervisord):" >&2
    echo "$taken" >&2
    exit 1
fi
if [ -z "${was_down:-}" ]; then echo "down: stopped (PostgreSQL and RabbitMQ keep running)"; fi
