#!/usr/bin/env bash
# Starts the whole local stack behind nginx on http://127.0.0.1:8080 (make up).
#
#   bootstrap (uv + locked env, Node.js + npm deps, nginx) -> the browser terminal built
#   (servers/web-terminal/dist, skipped when its sources did not change)
#   -> PostgreSQL + RabbitMQ up -> databases and roles -> migrations -> configs rendered
#   into var/ -> supervisord (every service, the exchange shards, nginx) ->
#   wait until ready.
#
# Idempotent: when the stack already runs, its config is reloaded and every program is
# restarted (new code). A service that fails to migrate is reported and not started; one
# that does not become ready is reported with its log, and the others keep running.
# Exit status: 0 when everything is ready, 1 otherwise.
# Environment: BOURSE_STACK (dev, the default, or e2e: the test suite's own instance with
# its own ports, databases, vhost and var/e2e; see bourse.stack.instance), BOURSE_STACK_WAIT_TIMEOUT
# (seconds, default 120), BOURSE_EDGE_* (nginx rate limits and workers), ADOPT=1 (databases
# that traded with another exchange journal are kept: the exchange starts from an empty
# journal and the open orders of the lost book end canceled; see stack.py journals).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

say() { echo "up: $*"; }
die() { echo "up: $*" >&2; exit 1; }

# -- 1. the Python environment ------------------------------------------------------------
say "bootstrap (uv, locked environment)"
scripts/bootstrap.sh
PY="$ROOT/.venv/bin/python"
stack() { "$PY" scripts/stack.py "$@"; }
VAR=$(stack var)

# -- 1b. the browser terminal (nginx serves its dist/ at /) ------------------------------
mkdir -p "$VAR/log"
web_failed=
say "the browser terminal (scripts/web-terminal.sh build)"
if ! scripts/web-terminal.sh build >"$VAR/log/web-terminal-build.log" 2>&1; then
    echo "up: BUILDING THE TERMINAL FAILED (/ serves the last good build, if any). Last lines of $VAR/log/web-terminal-build.log:" >&2
    tail -n 15 "$VAR/log/web-terminal-build.log" | sed 's/^/    | /' >&2
    web_failed=1
fi

# -- 2. nginx -----------------------------------------------------------------------------
NGINX=$(command -v nginx || echo /usr/sbin/nginx)  # bootstrap installed it
[ -x "$NGINX" ] || die "nginx is not installed (scripts/bootstrap.sh installs it)"
say "nginx: $("$NGINX" -v 2>&1)"

# -- 3. PostgreSQL and RabbitMQ -----------------------------------------------------------
say "PostgreSQL and RabbitMQ"
scripts/infra-up.sh

# -- 4. databases, roles, vhost, migrations -----------------------------------------------
stack vhost
# shellcheck disable=SC2046  # word splitting of the list is intended
"$PY" DBs-PubSubs/databases/create_databases.py $(stack list --databases)

mkdir -p "$VAR/log"
names=() pids=() failed=()
for svc in $(stack list --migrations); do  # in parallel: each one is its own database
    stack exec "$svc" migrate >"$VAR/log/migrate-$svc.log" 2>&1 &
    names+=("$svc") pids+=("$!")
done
for i in "${!names[@]}"; do
    svc=${names[$i]} log="$VAR/log/migrate-${names[$i]}.log"
    if wait "${pids[$i]}"; then
        say "migrated $svc"
    else
        echo "up: MIGRATION FAILED for $svc: it will not be started. Last lines of $log:" >&2
        tail -n 15 "$log" | sed 's/^/    | /' >&2
        echo "up: databases another checkout (or an older commit) migrated can carry another" \
            "schema history: make reset drops this instance's databases" >&2
        failed+=("$svc")
    fi
done

# Every durable queue exists before any service starts: an event published at start-up
# (stock-service announces its instruments) must find its future subscribers' queues.
for svc in "${names[@]}"; do
    if [[ " ${failed[*]} " != *" $svc "* ]]; then
        stack exec "$svc" declare >"$VAR/log/declare-$svc.log" 2>&1 \
            || die "declaring the queues of $svc failed: $VAR/log/declare-$svc.log"
    fi
done
say "declared the queues of: ${names[*]}"

# The exchange's journal (var/exchange) and the databases must belong together: a journal
# they never traded with (another checkout's databases, an emptied var/) would leave
# orders waiting forever. Refuses with the options (make reset, ADOPT=1) on a mismatch.
adopt=()
if [ "${ADOPT:-}" = "1" ]; then adopt=(--adopt); fi
stack journals "${adopt[@]}" || die "the exchange journal does not match the databases (see above)"

# -- 5. configs ---------------------------------------------------------------------------
stack render --exclude "${failed[@]}"
if ! "$NGINX" -t -q -p "$VAR/nginx/" -c "$VAR/nginx/nginx.conf" -e "$VAR/nginx/logs/error.log"; then
    die "the rendered nginx config is invalid (var/nginx/nginx.conf, from nginx/nginx.conf.template)"
fi

# -- 6. supervisord -----------------------------------------------------------------------
SUPERVISORD="$ROOT/.venv/bin/supervisord"
CTL=("$ROOT/.venv/bin/supervisorctl" -c "$VAR/supervisor/supervisord.conf")
if stack running; then
    say "supervisord already runs: reloading the config and restarting every program"
    "${CTL[@]}" reread >/dev/null
    "${CTL[@]}" update
    "${CTL[@]}" restart all >/dev/null || true  # a program that stays down is reported below
else
    stack ports || die "free those ports (or stop whatever runs there), then run make up again"
    say "starting supervisord"
    "$SUPERVISORD" -c "$VAR/supervisor/supervisord.conf"
fi

# -- 7. ready? ----------------------------------------------------------------------------
say "waiting until every service is ready (make logs in another terminal shows progress)"
status=0
stack wait --timeout "${BOURSE_STACK_WAIT_TIMEOUT:-120}" || status=1
if [ "${#failed[@]}" -gt 0 ]; then
    echo "up: not started because their migration failed: ${failed[*]} ($VAR/log/migrate-<svc>.log)" >&2
    status=1
fi
if [ -n "$web_failed" ]; then
    echo "up: the browser terminal did not build ($VAR/log/web-terminal-build.log)" >&2
    status=1
fi

echo
if [ "$status" -eq 0 ]; then
    echo "Bourse is up:"
else
    echo "Bourse is PARTLY up (see the errors above):"
fi
stack urls
exit "$status"
