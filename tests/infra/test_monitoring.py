"""Monitoring: the Grafana dashboard and the alert rules query metrics that exist (the
names defined in libs/common's and the exchange server's metrics.py, RabbitMQ's and the
PostgreSQL exporter's), Prometheus scrapes every service and shard, the pods are
annotated for it, and the files parse."""

import json
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "infra" / "monitoring"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "bourse-order-flow.json"


def defined_metrics() -> set[str]:
    """bourse_* series the code defines (prometheus_client adds _total to counters and
    _bucket/_sum/_count to histograms)."""
    sources = [
        ROOT / "libs" / "common" / "src" / "bourse" / "common" / "metrics.py",
        ROOT / "exchange" / "exchange-server" / "src" / "bourse" / "exchange_server" / "metrics.py",
    ]
    names: set[str] = set()
    for source in sources:
        for kind, name in re.findall(r'(Counter|Gauge|Histogram)\(\s*"(\w+)"', source.read_text()):
            if kind == "Counter":
                names.add(name if name.endswith("_total") else f"{name}_total")
            elif kind == "Histogram":
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
            else:
                names.add(name)
    return names


def metrics_in(expr: str) -> set[str]:
    return set(re.findall(r"\b((?:bourse|rabbitmq|pg)_[a-z_]+)\b", expr))


def dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def alert_rules() -> list[dict[str, Any]]:
    rules = yaml.safe_load((MONITORING / "prometheus" / "alerts.yml").read_text())
    return [r for g in rules["groups"] for r in g["rules"]]


KNOWN_EXTERNAL = {  # rabbitmq_prometheus (per-object) and postgres_exporter series used
    "rabbitmq_queue_messages_ready",
    "rabbitmq_queue_messages_unacked",
    "rabbitmq_queue_messages",
    "pg_up",
    "pg_stat_database_numbackends",
    "pg_stat_database_xact_commit",
}


def test_queries_use_metrics_that_exist() -> None:
    defined = defined_metrics()
    assert "bourse_http_requests_total" in defined and "bourse_exchange_commands_total" in defined
    exprs = dashboard_exprs() + [r["expr"] for r in alert_rules()]
    used = set().union(*map(metrics_in, exprs))
    unknown = {m for m in used if m not in defined and m not in KNOWN_EXTERNAL}
    assert not unknown, f"queried but never defined: {sorted(unknown)}"


def test_dashboard_covers_the_platform() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    used = set().union(*map(metrics_in, dashboard_exprs()))
    for metric in (
        "bourse_http_requests_total",  # order flow, error rates
        "bourse_http_request_duration_seconds_bucket",  # latency
        "rabbitmq_queue_messages_ready",  # queue depth
        "bourse_outbox_backlog",  # outbox backlog
        "bourse_exchange_commands_total",
        "bourse_messages_failed_total",
    ):
        assert metric in used, metric
    for expr in dashboard_exprs():
        assert expr.count("(") == expr.count(")"), expr
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "prometheus"


def test_alert_rules_are_well_formed() -> None:
    rules = alert_rules()
    assert len(rules) >= 8
    for rule in rules:
        assert {"alert", "expr", "labels", "annotations"} <= set(rule), rule
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]


def test_prometheus_scrapes_every_service_and_shard(stack_table: list[dict[str, Any]]) -> None:
    config = yaml.safe_load((MONITORING / "prometheus" / "prometheus.compose.yml").read_text())
    targets = {
        t for job in config["scrape_configs"] for s in job["static_configs"] for t in s["targets"]
    }
    for unit in stack_table:
        assert f"{unit['name']}:{unit['port']}" in targets
    assert {"rabbitmq:15692", "postgres-exporter:9187"} <= targets
    k8s = yaml.safe_load((MONITORING / "prometheus" / "prometheus.k8s.yml").read_text())
    assert k8s["scrape_configs"][0]["kubernetes_sd_configs"][0]["role"] == "pod"


def test_every_pod_is_annotated_for_scraping(overlays: dict[str, list[dict[str, Any]]]) -> None:
    for doc in overlays["prod"]:
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        if doc["metadata"]["labels"].get("app.kubernetes.io/component") == "web":
            continue  # the browser terminal's static files: nginx, no metrics
        annotations = doc["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", doc["metadata"]["name"]
        ports = {
            p["containerPort"]
            for c in doc["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        }
        assert int(annotations["prometheus.io/port"]) in ports, doc["metadata"]["name"]


def test_rabbitmq_exports_per_queue_series() -> None:
    for conf in (
        ROOT / "infra" / "docker" / "rabbitmq" / "rabbitmq.conf",
        ROOT / "k8s" / "base" / "rabbitmq" / "rabbitmq.conf",
    ):
        assert "prometheus.return_per_object_metrics = true" in conf.read_text()
    adapter = yaml.safe_load((MONITORING / "prometheus-adapter" / "rules.yaml").read_text())
    assert adapter["rules"]["external"][0]["name"]["as"] == "rabbitmq_queue_messages_ready"
