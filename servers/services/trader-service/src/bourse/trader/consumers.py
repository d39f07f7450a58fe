"""trader-service's one work queue, ``trader.events``: what it is bound to and which
handler takes each message type (the handlers are in handlers/events.py)."""

from bourse.contracts.events import InstrumentChanged, OrderChanged, RiskRequested, UserRegistered
from bourse.contracts.orders import FINAL_STATUSES
from bourse.contracts.topology import MARKET, ORDERS, USERS
from bourse.messaging.runtime import Subscription
from bourse.messaging.topology import Binding, QueueSpec
from bourse.trader.config import Settings
from bourse.trader.handlers import events

# OrderChanged statuses that can carry a fill or end the order; pending_new and new carry
# neither, and receiving them would cost a delivery and a transaction per order for nothing
SETTLED_STATUSES = ("partially_filled", "pending_cancel", *FINAL_STATUSES)


def subscription(settings: Settings) -> Subscription:
    queue = QueueSpec(
        f"{settings.queue_prefix}trader.events",
        bindings=(
            Binding(USERS, "user.registered"),
            Binding(ORDERS, "order.risk_requested"),
            # ".#": also order.<status>.<requested_by>, the orders another service asked for
            *(Binding(ORDERS, f"order.{status}.#") for status in SETTLED_STATUSES),
            Binding(MARKET, "instrument.changed.#"),  # "#": symbols may contain dots
        ),
        retired=(
            Binding(ORDERS, "order.*"),
            *(Binding(ORDERS, f"order.{status}") for status in SETTLED_STATUSES),
        ),
    )
    return Subscription(
        queue,
        {InstrumentChanged.TYPE: events.on_instrument_changed},
        batch={
            UserRegistered.TYPE: events.on_users_registered,
            # one handler for both: a batch's reservations and settlements of one account
            # are applied together, in message order
            RiskRequested.TYPE: events.on_ledger_events,
            OrderChanged.TYPE: events.on_ledger_events,
        },
    )
