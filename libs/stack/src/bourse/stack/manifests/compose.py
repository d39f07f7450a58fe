"""docker-compose.yml, the nginx config compose's edge runs with, and Prometheus's scrape
targets in compose."""

from __future__ import annotations

from typing import Any

from bourse.stack.instance import HOST, ROOT
from bourse.stack.manifests.units import (
    GATEWAY_PORT,
    GRAFANA_IMAGE,
    HEADER,
    JOURNAL_DIR,
    POSTGRES_EXPORTER_IMAGE,
    POSTGRES_IMAGE,
    PROMETHEUS_IMAGE,
    RABBITMQ_IMAGE,
    WEB_DOCKERFILE,
    WEB_IMAGE,
    WEB_ROOT,
    container_env,
    databases,
    services,
    shards,
    units,
)
from bourse.stack.manifests.yamldump import dump
from bourse.stack.render import NGINX_INCLUDES, fill, nginx_docs

# -- docker-compose.yml ----------------------------------------------------------------------

COMPOSE_DB_PASSWORD = "${BOURSE_DB_PASSWORD:-bourse-dev-only}"
COMPOSE_PG_PASSWORD = "${POSTGRES_PASSWORD:-postgres-dev-only}"
COMPOSE_MQ_PASSWORD = "${RABBITMQ_PASSWORD:-bourse-dev-only}"
COMPOSE_AMQP = f"amqp://bourse:{COMPOSE_MQ_PASSWORD}@rabbitmq:5672/"


def _compose_db_url(name: str) -> str:
    return f"postgresql+asyncpg://{name}:{COMPOSE_DB_PASSWORD}@postgres:5432/{name}"


def compose() -> str:
    all_units = units()
    inits = [f"{u.name}-init" for u in all_units]
    out: dict[str, Any] = {}
    out["postgres"] = {
        "image": POSTGRES_IMAGE,
        "environment": {"POSTGRES_PASSWORD": COMPOSE_PG_PASSWORD},
        "volumes": ["postgres-data:/var/lib/postgresql/data"],
        "healthcheck": {
            "test": ["CMD", "pg_isready", "-U", "postgres", "-h", "127.0.0.1"],
            "interval": "5s",
            "timeout": "3s",
            "retries": 30,
            "start_period": "10s",
        },
        "restart": "unless-stopped",
    }
    out["postgres-init"] = {
        "image": POSTGRES_IMAGE,
        "entrypoint": ["bash", "/usr/local/bin/create-databases.sh"],
        "environment": {
            "PGHOST": "postgres",
            "PGUSER": "postgres",
            "PGPASSWORD": COMPOSE_PG_PASSWORD,
            "BOURSE_DATABASES": " ".join(databases()),
            "BOURSE_DB_PASSWORD": COMPOSE_DB_PASSWORD,
        },
        "volumes": [
            "./infra/docker/postgres/create-databases.sh:/usr/local/bin/create-databases.sh:ro"
        ],
        "depends_on": {"postgres": {"condition": "service_healthy"}},
        "restart": "no",
    }
    out["rabbitmq"] = {
        "image": RABBITMQ_IMAGE,
        "hostname": "rabbitmq",  # the node name (rabbit@rabbitmq) must not change
        "environment": {
            "RABBITMQ_DEFAULT_USER": "bourse",
            "RABBITMQ_DEFAULT_PASS": COMPOSE_MQ_PASSWORD,
        },
        "volumes": [
            "rabbitmq-data:/var/lib/rabbitmq",
            "./infra/docker/rabbitmq/rabbitmq.conf:/etc/rabbitmq/conf.d/20-bourse.conf:ro",
            "./infra/docker/rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins:ro",
        ],
        "ports": ["127.0.0.1:15672:15672"],  # management UI
        "healthcheck": {
            "test": ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"],
            "interval": "10s",
            "timeout": "10s",
            "retries": 30,
            "start_period": "20s",
        },
        "restart": "unless-stopped",
    }
    for u in all_units:
        env = container_env(u, amqp_url=COMPOSE_AMQP, database_url=_compose_db_url)
        build = {
            "context": ".",
            "dockerfile": "infra/docker/Dockerfile",
            "args": {"PACKAGE": u.package},
        }
        image = f"${{BOURSE_REGISTRY:-bourse}}/{u.image}:${{BOURSE_TAG:-dev}}"
        volumes = [f"exchange-journal:{JOURNAL_DIR}"] if u.kind == "exchange" else []
        init_depends: dict[str, Any] = {"rabbitmq": {"condition": "service_healthy"}}
        if u.database:
            init_depends["postgres-init"] = {"condition": "service_completed_successfully"}
        out[f"{u.name}-init"] = {
            "build": build,
            "image": image,
            "command": ["init", *u.args],  # migrate (when it has migrations) + declare
            "environment": env,
            "depends_on": init_depends,
            "restart": "no",
        }
        # Every queue exists before any service starts (as scripts/up.sh does).
        depends: dict[str, Any] = {
            i: {"condition": "service_completed_successfully"} for i in inits
        }
        if u.database:
            depends["postgres"] = {"condition": "service_healthy"}
        depends["rabbitmq"] = {"condition": "service_healthy"}
        out[u.name] = {
            "build": build,
            "image": image,
            "command": ["serve", *u.args],
            "environment": env,
            **({"volumes": volumes} if volumes else {}),
            "depends_on": depends,
            "healthcheck": {
                "test": ["CMD", "/opt/bourse/entrypoint.sh", "healthcheck", "/readyz"],
                "interval": "5s",
                "timeout": "3s",
                "retries": 30,
                "start_period": "30s",
            },
            "stop_grace_period": "20s",
            "restart": "unless-stopped",
        }
    # The edge: the terminal's image (nginx + the built app) with the edge's config.
    out["nginx"] = {
        "build": {"context": ".", "dockerfile": WEB_DOCKERFILE},
        "image": f"${{BOURSE_REGISTRY:-bourse}}/{WEB_IMAGE}:${{BOURSE_TAG:-dev}}",
        "command": ["nginx", "-e", "/dev/stderr", "-c", "/etc/nginx/bourse/nginx.conf"],
        "volumes": [
            "./infra/docker/nginx/nginx.conf:/etc/nginx/bourse/nginx.conf:ro",
            *(f"./nginx/{include}:/etc/nginx/bourse/{include}:ro" for include in NGINX_INCLUDES),
        ],
        "ports": [f"127.0.0.1:{GATEWAY_PORT}:{GATEWAY_PORT}"],
        "depends_on": {u.name: {"condition": "service_healthy"} for u in services()},
        "healthcheck": {
            "test": [
                "CMD",
                "wget",
                "-q",
                "-O",
                "/dev/null",
                f"http://127.0.0.1:{GATEWAY_PORT}/healthz",
            ],
            "interval": "5s",
            "timeout": "3s",
            "retries": 10,
        },
        "restart": "unless-stopped",
    }
    # docker compose --profile monitoring up: Prometheus, Grafana, the PostgreSQL exporter.
    monitoring = ["monitoring"]
    out["postgres-exporter"] = {
        "image": POSTGRES_EXPORTER_IMAGE,
        "profiles": monitoring,
        "environment": {
            "DATA_SOURCE_URI": "postgres:5432/postgres?sslmode=disable",
            "DATA_SOURCE_USER": "postgres",
            "DATA_SOURCE_PASS": COMPOSE_PG_PASSWORD,
        },
        "depends_on": {"postgres": {"condition": "service_healthy"}},
        "restart": "unless-stopped",
    }
    out["prometheus"] = {
        "image": PROMETHEUS_IMAGE,
        "profiles": monitoring,
        "volumes": [
            "./infra/monitoring/prometheus/prometheus.compose.yml:/etc/prometheus/prometheus.yml:ro",
            "./infra/monitoring/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro",
            "prometheus-data:/prometheus",
        ],
        "ports": ["127.0.0.1:9090:9090"],
        "restart": "unless-stopped",
    }
    out["grafana"] = {
        "image": GRAFANA_IMAGE,
        "profiles": monitoring,
        "environment": {
            "GF_AUTH_ANONYMOUS_ENABLED": "true",
            "GF_AUTH_ANONYMOUS_ORG_ROLE": "Viewer",
        },
        "volumes": [
            "./infra/monitoring/grafana/provisioning:/etc/grafana/provisioning:ro",
            "./infra/monitoring/grafana/dashboards:/var/lib/grafana/dashboards:ro",
        ],
        "ports": ["127.0.0.1:3000:3000"],
        "depends_on": ["prometheus"],
        "restart": "unless-stopped",
    }
    document = {
        "name": "bourse",
        "services": out,
        "volumes": {
            "postgres-data": {},
            "rabbitmq-data": {},
            "exchange-journal": {},
            "prometheus-data": {},
        },
    }
    intro = (
        "# The whole Bourse stack in containers: PostgreSQL, RabbitMQ, every service (a\n"
        "# one-shot <name>-init migrates and declares its queues first), the exchange shards\n"
        "# and nginx on http://127.0.0.1:8080 (the browser terminal at /, the API under\n"
        "# /api/v1). `docker compose --profile monitoring up` adds\n"
        "# Prometheus (:9090), Grafana (:3000) and the PostgreSQL exporter.\n"
        "# Passwords: BOURSE_DB_PASSWORD, POSTGRES_PASSWORD, RABBITMQ_PASSWORD (dev defaults).\n"
    )
    return HEADER + intro + dump(document)


# -- nginx for compose -------------------------------------------------------------------------

NGINX_DIR = "/etc/nginx/bourse"


def nginx_conf() -> str:
    """nginx/nginx.conf.template with the compose service names as upstreams (resolved
    again when a container restarts with a new address), logs on stdout/stderr, listening on
    every interface of the container."""
    public = services()
    upstreams = "\n".join(
        f"    upstream {u.name} {{\n"
        f"        zone upstream_{u.name} 64k;\n"
        f"        server {u.name}:{u.port} resolve;\n"
        "        keepalive 16;\n"
        "        keepalive_timeout 4s;  # below uvicorn's 5 s keep-alive\n"
        "    }"
        for u in public
    )
    values = {
        "nginx_var": NGINX_DIR,
        "port": str(GATEWAY_PORT),
        "workers": "2",
        "auth_rate": "20r/s",
        "auth_burst": "40",
        "api_rate": "2000r/s",
        "api_burst": "4000",
        "upstreams": upstreams,
        "docs": nginx_docs([u.name for u in public]),
        "web_root": WEB_ROOT,
    }
    template = (ROOT / "nginx" / "nginx.conf.template").read_text()
    # the template's own header (how make up renders it) does not apply to this copy
    lines = template.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    text: str = fill("".join(lines).lstrip("\n"), values)
    replacements = [
        (f"pid {NGINX_DIR}/nginx.pid;", "pid /tmp/nginx.pid;"),
        (f"error_log {NGINX_DIR}/logs/error.log", "error_log /dev/stderr"),
        (f"access_log {NGINX_DIR}/logs/access.log", "access_log /dev/stdout"),
        (f"{NGINX_DIR}/tmp/", "/var/cache/nginx/"),
        (f"listen {HOST}:{GATEWAY_PORT};", f"listen {GATEWAY_PORT};"),
        (
            "    # One upstream per service",
            "    # Docker's DNS: upstream addresses follow containers that restart.\n"
            "    resolver 127.0.0.11 valid=10s ipv6=off;\n\n"
            "    # One upstream per service",
        ),
    ]
    for old, new in replacements:
        if old not in text:
            raise SystemExit(f"gen_manifests: nginx.conf.template no longer has {old!r}")
        text = text.replace(old, new)
    header = (
        "# GENERATED by scripts/gen_manifests.py from nginx/nginx.conf.template and\n"
        "# scripts/stack.py for docker-compose.yml: do not edit.\n"
    )
    return header + text


# -- Prometheus for compose ------------------------------------------------------------------


def prometheus_compose() -> str:
    config = {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": ["/etc/prometheus/alerts.yml"],
        "scrape_configs": [
            {
                "job_name": "bourse-services",
                "static_configs": [
                    {"targets": [f"{u.name}:{u.port}"], "labels": {"app": u.name}}
                    for u in services()
                ],
            },
            {
                "job_name": "bourse-exchange",
                "static_configs": [
                    {"targets": [f"{u.name}:{u.port}"], "labels": {"shard": str(u.shard)}}
                    for u in shards()
                ],
            },
            {
                # rabbitmq_prometheus; per-queue series (prometheus.return_per_object_metrics)
                "job_name": "rabbitmq",
                "static_configs": [{"targets": ["rabbitmq:15692"]}],
            },
            {"job_name": "postgres", "static_configs": [{"targets": ["postgres-exporter:9187"]}]},
        ],
    }
    return HEADER + dump(config)
