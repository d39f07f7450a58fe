"""This service's own Prometheus metrics (exposed by the shared ``/metrics``)."""

from prometheus_client import Counter, Gauge

TRADE_UPDATES_STORED = Counter("bourse_trade_updates_stored_total", "Trade updates stored")
TRADE_UPDATES_PUSHED = Counter(
    "bourse_trade_updates_pushed_total", "Trade updates sent on /ws/trade-updates (live)"
)
TRADE_UPDATES_CONNECTIONS = Gauge(
    "bourse_trade_updates_ws_connections", "Open /ws/trade-updates sockets on this instance"
)
