"""Prometheus metrics shared by every service, and how an HTTP request is recorded: by
route template (never by raw path: ids would explode the label set)."""

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

HTTP_REQUESTS = Counter(
    "bourse_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "bourse_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
MESSAGES_PUBLISHED = Counter(
    "bourse_messages_published_total", "Messages published (confirmed)", ["service", "type"]
)
MESSAGES_UNROUTABLE = Counter(
    "bourse_messages_unroutable_total", "Events published with no queue bound", ["service", "type"]
)
MESSAGES_CONSUMED = Counter(
    "bourse_messages_consumed_total", "Messages consumed", ["service", "queue", "outcome"]
)
MESSAGES_FAILED = Counter(
    "bourse_messages_failed_total", "Message handling failures", ["service", "queue"]
)
CONSUMER_BATCH = Histogram(
    "bourse_consumer_batch_events",
    "Events a consumer applied in one transaction",
    ["service", "queue"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200),
)
OUTBOX_BACKLOG = Gauge("bourse_outbox_backlog", "Outbox rows not yet published", ["service"])


def record_request(service: str, scope: Scope, status: int, seconds: float) -> None:
    """One HTTP request answered, labelled by its route's template."""
    route: Any = scope.get("route")
    template = getattr(route, "path", "unmatched")
    method = scope["method"]
    HTTP_REQUESTS.labels(service, method, template, str(status)).inc()
    HTTP_LATENCY.labels(service, method, template).observe(seconds)


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
