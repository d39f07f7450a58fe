"""What notifications-service consumes: two durable quorum work queues, what each is
bound to and which handler takes each message type.

* ``notifications.events``: what users are told of (handlers/events.py);
* ``notifications.trade_updates``: every change of every order, for /ws/trade-updates
  (handlers/trade_updates.py). One active consumer at a time (``x-single-active-consumer``)
  and one lane: each user's seqs follow the order in which order-service published.
  ``order.pending_new``, ``order.new``, ``order.replaced`` and ``order.cancel_requested``
  are bound by this queue alone."""

from typing import get_args

from bourse.contracts.events import (
    AccountUpdated,
    AlertTriggered,
    AutoRunFinished,
    OrderCancelRequested,
    OrderChanged,
    OrderStatus,
    UserRegistered,
)
from bourse.contracts.topology import AUTO, ORDERS, TRADER, USERS
from bourse.messaging.runtime import Subscription
from bourse.messaging.topology import Binding, QueueSpec
from bourse.notifications.config import Settings
from bourse.notifications.domain.messages import NOTIFIED_STATUSES
from bourse.notifications.handlers import events, trade_updates

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


TRADE_UPDATES_QUEUE = "notifications.trade_updates"
TRADE_UPDATE_BINDINGS = (
    # ".#": also order.<status>.<requested_by>, the orders another service asked for
    *(Binding(ORDERS, f"order.{status}.#") for status in get_args(OrderStatus)),
    Binding(ORDERS, OrderCancelRequested.TYPE),
)


def trade_updates_subscription(settings: Settings) -> Subscription:
    spec = QueueSpec(
        settings.queue_prefix + TRADE_UPDATES_QUEUE,
        TRADE_UPDATE_BINDINGS,
        single_active_consumer=True,
    )
    on_events = trade_updates.on_order_events
    return Subscription(
        spec, {}, batch={OrderChanged.TYPE: on_events, OrderCancelRequested.TYPE: on_events}
    )
