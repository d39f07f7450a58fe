#!/usr/bin/env bash
# Each service's PostgreSQL role and database (idempotent), the container counterpart of
# DBs-PubSubs/databases/create_databases.py: for every NAME in BOURSE_DATABASES a LOGIN
# role NAME (with its password) and a database NAME owned by it, created when absent; an
# existing role gets its password set again (so a rotated Secret takes effect).
#
#   BOURSE_DATABASES     "bourse_user bourse_trader ..." (space-separated)
#   BOURSE_DB_PASSWORD   one password for every role (docker-compose.yml), or
#   BOURSE_DB_PASSWORD_DIR  a directory with one file per NAME (a mounted Kubernetes Secret)
#   PGHOST, PGUSER, PGPASSWORD  the superuser connection (libpq environment)
#
# Runs in the postgres image (psql): compose's postgres-init, Kubernetes' Job bourse-db-init.
set -euo pipefail

: "${BOURSE_DATABASES:?the databases to create, space-separated}"

for _ in $(seq 1 60); do  # the server may still be starting
    pg_isready -q && break
    sleep 1
done

password_of() {
    if [ -n "${BOURSE_DB_PASSWORD_DIR:-}" ]; then
        cat "${BOURSE_DB_PASSWORD_DIR}/$1"
    else
        printf '%s' "${BOURSE_DB_PASSWORD:?BOURSE_DB_PASSWORD or BOURSE_DB_PASSWORD_DIR}"
    fi
}

for name in ${BOURSE_DATABASES}; do
    if ! [[ "${name}" =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; then
        echo "databases: invalid name ${name}" >&2
        exit 1
    fi
    password=$(password_of "${name}")
    # psql variables (:'name', :'password') are quoted by psql itself; \gexec runs the
    # statement built by format() only when the SELECT returns a row.
    psql -v ON_ERROR_STOP=1 -q -d postgres -v name="${name}" -v password="${password}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'name', :'password')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'name')\gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'name', :'password')\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name')\gexec
SQL
    echo "databases: ${name} ready (role and database)"
done
