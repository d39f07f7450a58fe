"""What every Kubernetes workload of Bourse shares: labels, security contexts, probes, the
credentials from Secrets and the settings from ConfigMaps."""

from __future__ import annotations

from typing import Any

from bourse.stack.manifests.units import HEADER, UID, Unit, container_env

K8S_AMQP = "amqp://$(AMQP_USER):$(AMQP_PASSWORD)@rabbitmq:5672/"


def k8s_db_url(name: str) -> str:
    return f"postgresql+asyncpg://{name}:$(DB_PASSWORD)@postgres:5432/{name}"


def k8s_labels(name: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": "bourse",
    }


def k8s_selector(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name}


def k8s_pdb(name: str, labels: dict[str, str]) -> dict[str, Any]:
    """At most one pod of ``name`` down at a time (drains, node upgrades)."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "labels": labels},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": k8s_selector(name)}},
    }


CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}
POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": UID,
    "runAsGroup": UID,
    "fsGroup": UID,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def secret_env(unit: Unit, *, database: bool = True) -> list[dict[str, Any]]:
    """Credentials from Secrets (created out of git, k8s/README.md), then the URLs built
    from them ($(VAR) refers to a variable defined before it in the list). ``database``
    False: RabbitMQ only (a container that only declares queues)."""
    ref = [
        {
            "name": "AMQP_USER",
            "valueFrom": {"secretKeyRef": {"name": "bourse-rabbitmq", "key": "username"}},
        },
        {
            "name": "AMQP_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "bourse-rabbitmq", "key": "password"}},
        },
    ]
    if unit.database and database:
        ref.append(
            {
                "name": "DB_PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": "bourse-db", "key": unit.database}},
            }
        )
    env = container_env(unit, amqp_url=K8S_AMQP, database_url=k8s_db_url)
    secret_keys = [f"{unit.prefix}AMQP_URL", *([f"{unit.prefix}DATABASE_URL"] if database else [])]
    ref += [{"name": k, "value": env[k]} for k in secret_keys if k in env]
    return ref


def k8s_config_env(unit: Unit, **kw: Any) -> str:
    """The .env file of the unit's ConfigMap: every setting but the credentials."""
    env = container_env(unit, amqp_url=K8S_AMQP, database_url=k8s_db_url, **kw)
    secret = {f"{unit.prefix}AMQP_URL", f"{unit.prefix}DATABASE_URL"}
    lines = [f"{k}={v}" for k, v in env.items() if k not in secret]
    return HEADER + "\n".join(lines) + "\n"


def k8s_probes(port: str, startup_failures: int) -> dict[str, Any]:
    def get(path: str) -> dict[str, Any]:
        return {"path": path, "port": port}

    return {
        # /healthz answers as soon as the process serves; /readyz once the database and
        # the broker answer (the exchange: once its books are recovered).
        "startupProbe": {
            "httpGet": get("/healthz"),
            "periodSeconds": 2,
            "failureThreshold": startup_failures,
        },
        "readinessProbe": {
            "httpGet": get("/readyz"),
            "periodSeconds": 5,
            "timeoutSeconds": 3,
            "failureThreshold": 3,
        },
        "livenessProbe": {
            "httpGet": get("/healthz"),
            "periodSeconds": 10,
            "timeoutSeconds": 3,
            "failureThreshold": 3,
        },
    }


def init_container(name: str, image: str, args: list[str], unit: Unit) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "args": args,
        "envFrom": [{"configMapRef": {"name": f"bourse-{unit.name}"}}],
        "env": secret_env(unit, database=args != ["declare"]),
        "resources": {
            "requests": {"cpu": "50m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "384Mi"},
        },
        "securityContext": CONTAINER_SECURITY,
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
