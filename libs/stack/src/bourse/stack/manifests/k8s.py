"""The Kubernetes workloads: a Deployment (+ Service, HPA, PDB) per service, the exchange's
StatefulSet (one pod per shard)."""

from __future__ import annotations

from typing import Any

from bourse.stack.manifests.k8s_parts import (
    CONTAINER_SECURITY,
    POD_SECURITY,
    init_container,
    k8s_labels,
    k8s_pdb,
    k8s_probes,
    k8s_selector,
    secret_env,
)
from bourse.stack.manifests.units import (
    EXCHANGE_PORT,
    HEADER,
    JOURNAL_DIR,
    SCALING_QUEUES,
    STARTUP_SUBSCRIBERS,
    Unit,
    services,
    shards,
)
from bourse.stack.manifests.yamldump import dump


def k8s_service(unit: Unit) -> str:
    name = unit.name
    labels = k8s_labels(name, "service")
    init = [init_container("init", unit.image, ["init"], unit)]
    # Subscribers' queues before a service that publishes at start-up (first install).
    for other in STARTUP_SUBSCRIBERS.get(name, ()):
        other_unit = next(u for u in services() if u.name == other)
        init.append(init_container(f"declare-{other}", other_unit.image, ["declare"], other_unit))
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            # no replicas: the HorizontalPodAutoscaler owns them
            "revisionHistoryLimit": 5,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "selector": {"matchLabels": k8s_selector(name)},
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(unit.port),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": POD_SECURITY,
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": key,
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": k8s_selector(name)},
                        }
                        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
                    ],
                    "initContainers": init,
                    "containers": [
                        {
                            "name": name,
                            "image": unit.image,
                            "args": ["serve"],
                            "ports": [
                                {"name": "http", "containerPort": unit.port, "protocol": "TCP"}
                            ],
                            "envFrom": [{"configMapRef": {"name": f"bourse-{name}"}}],
                            "env": secret_env(unit),
                            **k8s_probes("http", 30),
                            # Out of the Service's endpoints before SIGTERM: no request is
                            # sent to a pod that is stopping (uvicorn then drains for 10 s).
                            "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "192Mi"},
                                "limits": {"cpu": "1", "memory": "512Mi"},
                            },
                            "securityContext": CONTAINER_SECURITY,
                            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                        }
                    ],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "selector": k8s_selector(name),
            "ports": [{"name": "http", "port": unit.port, "targetPort": "http"}],
        },
    }
    metrics: list[dict[str, Any]] = [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 70},
            },
        }
    ]
    if name in SCALING_QUEUES:
        # Messages waiting in its work queue, per pod (RabbitMQ's per-object metrics via
        # prometheus-adapter: infra/monitoring/prometheus-adapter/rules.yaml).
        metrics.append(
            {
                "type": "External",
                "external": {
                    "metric": {
                        "name": "rabbitmq_queue_messages_ready",
                        "selector": {"matchLabels": {"queue": SCALING_QUEUES[name]}},
                    },
                    "target": {"type": "AverageValue", "averageValue": "100"},
                },
            }
        )
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 2,
            "maxReplicas": 6,
            "metrics": metrics,
            "behavior": {
                "scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
                },
            },
        },
    }
    pdb = k8s_pdb(name, labels)
    intro = (
        f"# {name}-service: python -m bourse.{unit.module} serve on :{unit.port}; its\n"
        f"# settings are the ConfigMap bourse-{name} ({name}.env) and the credentials below.\n"
    )
    return HEADER + intro + dump(deployment, service, hpa, pdb)


def k8s_exchange() -> str:
    shard_units = shards()
    unit = shard_units[0]
    name = "exchange"
    labels = k8s_labels(name, "exchange")
    shard_env = {
        # pod exchange-K is shard K (the StatefulSet's pod-index label, Kubernetes >= 1.28)
        "name": "BOURSE_EXCHANGE_SHARD",
        "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['apps.kubernetes.io/pod-index']"}},
    }
    env = [shard_env, *secret_env(unit)]
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "serviceName": name,
            # one pod per shard: replicas == BOURSE_EXCHANGE_SHARDS (and the order
            # service's BOURSE_ORDER_EXCHANGE_SHARDS); changing it moves symbols (re-shard)
            "replicas": len(shard_units),
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate"},
            "persistentVolumeClaimRetentionPolicy": {
                "whenDeleted": "Retain",
                "whenScaled": "Retain",
            },
            "selector": {"matchLabels": k8s_selector(name)},
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(EXCHANGE_PORT),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    # uvicorn drains for 15 s; the journal is fsynced per batch
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": POD_SECURITY,
                    "initContainers": [
                        {
                            "name": "declare",
                            "image": unit.image,
                            "args": ["declare"],
                            "envFrom": [{"configMapRef": {"name": "bourse-exchange"}}],
                            "env": env,
                            "resources": {
                                "requests": {"cpu": "50m", "memory": "128Mi"},
                                "limits": {"cpu": "500m", "memory": "256Mi"},
                            },
                            "securityContext": CONTAINER_SECURITY,
                            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                        }
                    ],
                    "containers": [
                        {
                            "name": name,
                            "image": unit.image,
                            "args": ["serve"],
                            "ports": [
                                {"name": "http", "containerPort": EXCHANGE_PORT, "protocol": "TCP"}
                            ],
                            "envFrom": [{"configMapRef": {"name": "bourse-exchange"}}],
                            "env": env,
                            # recovery (snapshot + journal replay) may take minutes
                            **k8s_probes("http", 150),
                            "resources": {
                                "requests": {"cpu": "250m", "memory": "512Mi"},
                                "limits": {"cpu": "2", "memory": "2Gi"},
                            },
                            "securityContext": CONTAINER_SECURITY,
                            "volumeMounts": [
                                {"name": "journal", "mountPath": JOURNAL_DIR},
                                {"name": "tmp", "mountPath": "/tmp"},
                            ],
                        }
                    ],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "journal", "labels": labels},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "10Gi"}},
                    },
                }
            ],
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "clusterIP": "None",  # stable names exchange-K.exchange (health, metrics)
            "selector": k8s_selector(name),
            "ports": [{"name": "http", "port": EXCHANGE_PORT, "targetPort": "http"}],
        },
    }
    pdb = k8s_pdb(name, labels)
    intro = (
        "# The exchange server: a StatefulSet with one pod per symbol shard (pod exchange-K\n"
        "# runs shard K), each the single active consumer of exchange.commands.shard-K, with\n"
        "# its own volume for the command journal and snapshots (flock'ed: one writer).\n"
    )
    return HEADER + intro + dump(statefulset, service, pdb)
