"""The work queue ``portfolio.events``: state changes (positions, cash, last prices),
consumed by one instance each (competing consumers): what it is bound to and which
handler takes each message type (handlers/events.py). The live feeds have their own
per-instance queues (:mod:`live.feed`)."""

from bourse.contracts.events import (
    AccountUpdated,
    PriceChanged,
    SecuritiesDeposited,
)
from bourse.contracts.topology import MARKET, ORDERS, TRADER
from bourse.messaging.runtime import Subscription
from bourse.messaging.topology import Binding, QueueSpec
from bourse.portfolio.config import Settings
from bourse.portfolio.handlers import events

QUEUE = "portfolio.events"
# "#", not "*": symbols may contain dots (BRK.B -> market.price.BRK.B).
BINDINGS = (
    # cash moves on these; a fill's update also carries the fill (its one settlement event)
    Binding(TRADER, "account.updated.deposit"),
    Binding(TRADER, "account.updated.withdrawal"),
    Binding(TRADER, "account.updated.fill.#"),  # .<order class>
    Binding(TRADER, "account.securities_deposited.#"),
    Binding(MARKET, "market.price.#"),
)
# Before fills came settled with the cash: the order events that carried them.
RETIRED = tuple(
    Binding(ORDERS, f"order.{state}") for state in ("partially_filled", "filled", "pending_cancel")
)


def subscription(settings: Settings) -> Subscription:
    return Subscription(
        QueueSpec(settings.queue_prefix + QUEUE, BINDINGS, retired=RETIRED),
        {SecuritiesDeposited.TYPE: events.on_securities_deposited},
        batch={
            AccountUpdated.TYPE: events.on_portfolio_events,
            PriceChanged.TYPE: events.on_portfolio_events,
        },
    )
