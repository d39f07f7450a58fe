"""What notifications-service consumes: one durable quorum work queue,
``notifications.events``: what it is bound to and which handler takes each message type
(handlers/events.py)."""

from typing import Any

from bourse.contracts.events import (
    AccountUpdated,
    AlertTriggered,
    AutoRunFinished,
    OrderChanged,
    UserRegistered,
)
from bourse.contracts.topology import AUTO, ORDERS, TRADER, USERS
from bourse.messaging.runtime import Subscription
from bourse.messaging.topology import Binding, QueueSpec
from bourse.notifications.config import Settings
from bourse.notifications.handlers import events

QUEUE = "notifications.events"
NOTIFIED_STATUSES = ("filled", "partially_filled", "canceled", "rejected", "expired")
BINDINGS = (
    # ".#": also order.<status>.<requested_by>, the orders another service asked for
    *(Binding(ORDERS, f"order.{status}.#") for status in NOTIFIED_STATUSES),
    Binding(AUTO, "auto.run.succeeded"),
    Binding(AUTO, "auto.run.failed"),
    Binding(AUTO, "alert.triggered.#"),  # "#": symbols may contain dots
    Binding(TRADER, "account.updated.deposit"),  # the only account change users are told of
    Binding(USERS, "user.registered"),
)


def subscription(settings: Settings) -> Subscription:
    on_events = events.on_notifiable_events
    return Subscription(
        QueueSpec(
            settings.queue_prefix + QUEUE,
            BINDINGS,
            retired=tuple(Binding(ORDERS, f"order.{status}") for status in NOTIFIED_STATUSES),
        ),
        {},
        batch={
            OrderChanged.TYPE: on_events,
            AutoRunFinished.TYPE: on_events,
            AlertTriggered.TYPE: on_events,
            AccountUpdated.TYPE: on_events,
            UserRegistered.TYPE: on_events,
        },
        workers=4,
        partition_key=by_user,  # one user's notifications are stored in arrival order
    )


def by_user(payload: dict[str, Any]) -> str:
    order = payload.get("order") or {}
    return str(payload.get("user_id") or order.get("user_id") or "")
