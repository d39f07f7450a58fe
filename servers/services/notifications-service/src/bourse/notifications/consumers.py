"""What notifications-service consumes: one durable quorum work queue,
``notifications.events`` (what users are told of: handlers/events.py), what it is bound
to and which handler takes each message type.

``notifications.trade_updates`` (every order event, for /ws/trade-updates) is retired:
order-service writes the trade updates itself, in the transaction that changes the order.
``declare`` deletes it from a broker that still has it."""

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
from bourse.notifications.domain.messages import NOTIFIED_STATUSES
from bourse.notifications.handlers import events

QUEUE = "notifications.events"
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
    )


def retired_queues(settings: Settings) -> tuple[str, ...]:
    return (settings.queue_prefix + "notifications.trade_updates",)
