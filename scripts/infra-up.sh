#!/usr/bin/env bash
# Starts PostgreSQL and RabbitMQ when they are not listening; installs them (Debian
# packages, as root) when they are missing. Idempotent: does nothing when both are up.
set -euo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() {  # port name
    for _ in $(seq 1 120); do listening "$1" && return 0; sleep 0.5; done
    echo "infra-up: $2 did not start on port $1" >&2; return 1
}
apt_install() {
    if [ "$(id -u)" -ne 0 ]; then echo "infra-up: install $* (needs root)" >&2; return 1; fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! listening 5432; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_for 5432 PostgreSQL
fi

if ! listening 5672; then
    command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
    rabbitmq-server -detached || true
    wait_for 5672 RabbitMQ
fi
