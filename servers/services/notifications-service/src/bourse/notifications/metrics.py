"""This service's own Prometheus metrics (exposed by the shared ``/metrics``)."""

from prometheus_client import Counter, Gauge

NOTIFICATIONS_CREATED = Counter(
    "bourse_notifications_created_total", "Notifications stored", ["type"]
)
WS_CONNECTIONS = Gauge(
    "bourse_notifications_ws_connections", "Open /ws/notifications sockets on this instance"
)
WS_PUSHED = Counter("bourse_notifications_ws_pushed_total", "Notifications pushed to sockets")
WEBHOOK_ATTEMPTS = Counter(
    "bourse_notifications_webhook_attempts_total",
    "Webhook POST attempts by outcome: delivered, failed (retried later), dead (gave up)",
    ["outcome"],
)
