"""What each order event is on ``/ws/trade-updates`` (API.md, Orders): Alpaca's
trade_updates, with the order as API.md's order object. Plain Python, no I/O.

* ``order.cancel_requested`` -> ``pending_cancel``;
* an ``order.changed`` with a fill -> ``fill`` when it completed the order, else
  ``partial_fill`` (a fill that came while a cancel was pending is a partial fill too),
  with the fill's ``price`` and ``qty``;
* any other ``order.changed`` -> its status's event (``partially_filled`` ->
  ``partial_fill``, ``filled`` -> ``fill``; the other names are the same).

``position_qty`` (optional in the contract) is left out: the position is trader-service's
(and portfolio-service's) state, and no order event carries it; stating it here would need
a second source that can be out of step with the fill, so it would not be exact."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from bourse.contracts.events import OrderCancelRequested, OrderChanged, OrderSnapshot
from bourse.contracts.money import canonical

TradeEvent = Literal[
    "pending_new",
    "new",
    "partial_fill",
    "fill",
    "canceled",
    "expired",
    "replaced",
    "rejected",
    "pending_cancel",
]
EVENT_OF_STATUS: dict[str, TradeEvent] = {
    "pending_new": "pending_new",
    "new": "new",
    "partially_filled": "partial_fill",
    "filled": "fill",
    "pending_cancel": "pending_cancel",
    "canceled": "canceled",
    "rejected": "rejected",
    "expired": "expired",
    "replaced": "replaced",
}
# API.md's order object, in its order (GET /api/v1/orders/{id} returns these fields).
ORDER_FIELDS = (
    "id", "client_order_id", "symbol", "side", "type", "time_in_force", "qty", "notional",
    "limit_price", "stop_price", "filled_qty", "filled_avg_price", "status", "reject_reason",
    "created_at", "updated_at", "filled_at", "canceled_at", "replaces", "replaced_by",
    "trail_price", "trail_percent", "hwm", "order_class", "legs",
)  # fmt: skip

OrderEvent = OrderChanged | OrderCancelRequested


@dataclass(frozen=True)
class TradeUpdate:
    """One update before it has its place (``seq``) in its user's stream."""

    user_id: UUID
    event: TradeEvent
    message: dict[str, Any]  # the WebSocket message without ``seq``

    def numbered(self, seq: int) -> dict[str, Any]:
        return {**self.message, "seq": seq}


# The order events only the trade-updates log wants: no other service binds
# order.pending_new, order.new (nor their .<requester> forms) or order.cancel_requested,
# so they are written to the log and not published (tests/test_topology.py checks every
# service's bindings against these).
LOG_ONLY_STATUSES = frozenset({"pending_new", "new"})


def log_only(payload: object) -> bool:
    """Whether ``payload`` is an order event that only the trade-updates log wants."""
    if isinstance(payload, OrderCancelRequested):
        return True
    return (
        isinstance(payload, OrderChanged)
        and payload.fill is None
        and payload.order.status in LOG_ONLY_STATUSES
    )


def trade_update(payload: OrderEvent) -> TradeUpdate:
    order = payload.order
    message: dict[str, Any] = {"type": "trade_update"}
    if isinstance(payload, OrderCancelRequested):
        event: TradeEvent = "pending_cancel"
        timestamp = order.updated_at
    elif payload.fill is not None:
        event = "fill" if order.status == "filled" else "partial_fill"
        timestamp = payload.fill.ts
    else:
        event = EVENT_OF_STATUS[order.status]
        timestamp = order.updated_at
    message |= {"event": event, "order": order_object(order)}
    if isinstance(payload, OrderChanged) and payload.fill is not None:
        message |= {"price": canonical(payload.fill.price), "qty": canonical(payload.fill.qty)}
    message["timestamp"] = _iso(timestamp)
    return TradeUpdate(order.user_id, event, message)


def order_object(order: OrderSnapshot) -> dict[str, Any]:
    """The snapshot as API.md's order object (the JSON GET /api/v1/orders/{id} gives).
    A sender from before ``created_at`` was carried: its update time stands in."""
    dumped = order.model_dump(mode="json")
    if dumped["created_at"] is None:
        dumped["created_at"] = dumped["updated_at"]
    dumped["legs"] = None  # a classed order's legs are their own updates; GET lists them
    return {name: dumped[name] for name in ORDER_FIELDS}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
