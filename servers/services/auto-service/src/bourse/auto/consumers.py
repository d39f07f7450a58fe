"""What auto-service consumes, on one durable quorum queue ``auto.events`` with inbox
dedupe (the messaging runtime applies each message once, in the transaction of its
effects): the final states of orders (a run's outcome), prices (alerts, a batch at a
time: handlers/prices.py) and instruments (what a recurring order or an alert may be
for).

Bindings: ``order.<outcome status>.auto`` only: the outcomes of the orders auto-service asked
for (order-service routes them so; the other order events are of no use here),
``market.price.#`` and ``instrument.changed.#`` ("#": symbols may contain dots)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.auto.config import Settings
from bourse.auto.handlers import instruments, prices, runs
from bourse.contracts import Envelope
from bourse.contracts.events import InstrumentChanged, OrderChanged, OrderRequested, PriceChanged
from bourse.contracts.orders import OUTCOME_STATUSES
from bourse.contracts.topology import MARKET, ORDERS
from bourse.messaging.consumer import BatchHandler, Handler
from bourse.messaging.runtime import Subscription
from bourse.messaging.topology import Binding, QueueSpec

QUEUE = "auto.events"
BINDINGS = (
    *(Binding(ORDERS, f"order.{status}.{OrderRequested.REQUESTER}") for status in OUTCOME_STATUSES),
    Binding(MARKET, "market.price.#"),
    Binding(MARKET, "instrument.changed.#"),
)


async def on_order_changed(session: AsyncSession, _: Envelope, event: OrderChanged) -> None:
    await runs.on_order_changed(session, event)


async def on_instrument_changed(
    session: AsyncSession, _: Envelope, event: InstrumentChanged
) -> None:
    await instruments.on_instrument_changed(session, event)


HANDLERS: dict[str, Handler] = {
    OrderChanged.TYPE: on_order_changed,
    InstrumentChanged.TYPE: on_instrument_changed,
}
BATCH: dict[str, BatchHandler] = {PriceChanged.TYPE: prices.on_prices}


def wants(_: Envelope, payload: Any) -> bool:
    """Prices, and the outcomes of the orders runs placed: the final state of another order
    auto-service asked for (an alert's) is acked without opening a transaction."""
    return not isinstance(payload, OrderChanged) or runs.is_run_order(payload)


def lane(payload: dict[str, Any]) -> str:
    """Prices of one symbol in order (a crossing compares consecutive prices); outcomes
    spread by user."""
    order = payload.get("order") or {}
    return str(payload.get("symbol") or order.get("user_id") or "")


def subscription(settings: Settings) -> Subscription:
    return Subscription(
        QueueSpec(
            settings.queue_prefix + QUEUE,
            BINDINGS,
            retired=tuple(Binding(ORDERS, f"order.{status}") for status in OUTCOME_STATUSES),
        ),
        HANDLERS,
        batch=BATCH,
        workers=4,
        partition_key=lane,
        wants=wants,
    )
