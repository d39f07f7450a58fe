#!/usr/bin/env bash
# Starts PostgreSQL and RabbitMQ when they are not listening; installs them (Debian
# packages, as root) when they are missing. Idempotent: does nothing when both are up.
set -euo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() {  # port name
    for _ in $(seq 1 120); do listening "$1" && return 0; sleep 0.5; done
    echo "infra-up: $2 did not start on port $1" >&2; return 1
}
apt_install() { "$(dirname "$0")/apt-install.sh" "$@"; }

pg_version() {
    # shellcheck disable=SC2012  # the entries are version numbers (15, 16): plain names
    ls /etc/postgresql | sort -V | tail -n 1
}

if ! listening 5432; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main start || true
    wait_for 5432 PostgreSQL
fi

# Every service replica keeps a small pool, and the test suite runs a stack beside its own
# apps: PostgreSQL's default of 100 connections is too few. Raised once (needs a restart).
MIN_CONNECTIONS=500
psql_admin() { psql -X -q -A -t -h 127.0.0.1 -U postgres -d postgres -c "$1"; }
connections=$(psql_admin "SHOW max_connections" 2>/dev/null || echo unknown)
if [[ "$connections" =~ ^[0-9]+$ ]] && [ "$connections" -lt "$MIN_CONNECTIONS" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v pg_ctlcluster >/dev/null; then
        echo "infra-up: PostgreSQL max_connections $connections -> $MIN_CONNECTIONS (restarting it)"
        psql_admin "ALTER SYSTEM SET max_connections = $MIN_CONNECTIONS" >/dev/null
        pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main restart
        wait_for 5432 PostgreSQL
    else
        echo "infra-up: PostgreSQL allows only $connections connections; set max_connections" \
            "to $MIN_CONNECTIONS or more (the stack and the tests need them)" >&2
    fi
fi

if ! listening 5672; then
    command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
    rabbitmq-server -detached || true
    wait_for 5672 RabbitMQ
fi
