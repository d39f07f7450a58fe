"""The work queue ``portfolio.events``: state changes (positions, cash, last prices),
consumed by one instance each (competing consumers). The messaging runtime decodes each
message, dedupes it through the inbox and calls the handler in the consumer's
transaction. The live feeds have their own per-instance queues (:mod:`live.feed`)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts import Envelope
from bourse.contracts.events import (
    AccountUpdated,
    OrderChanged,
    PriceChanged,
    SecuritiesDeposited,
)
from bourse.contracts.topology import MARKET, ORDERS, TRADER
from bourse.messaging.runtime import Subscription
from bourse.messaging.topology import Binding, QueueSpec
from bourse.portfolio import handlers
from bourse.portfolio.config import Settings

QUEUE = "portfolio.events"
# The states a fill can leave an order in: a fill that wins the race against a cancel
# arrives as order.pending_cancel (the order-service keeps that status), and must count.
FILL_STATES = ("partially_filled", "filled", "pending_cancel")
# "#", not "*": symbols may contain dots (BRK.B -> market.price.BRK.B).
BINDINGS = (
    *(Binding(ORDERS, f"order.{state}") for state in FILL_STATES),
    # cash moves on these; a reservation or a release only moves reserved cash
    *(Binding(TRADER, f"account.updated.{reason}") for reason in ("deposit", "withdrawal", "fill")),
    Binding(TRADER, "account.securities_deposited.#"),
    Binding(MARKET, "market.price.#"),
)


def subscription(settings: Settings) -> Subscription:
    return Subscription(
        QueueSpec(settings.queue_prefix + QUEUE, BINDINGS),
        {
            OrderChanged.TYPE: on_order_changed,
            AccountUpdated.TYPE: on_account_updated,
            SecuritiesDeposited.TYPE: on_securities_deposited,
            PriceChanged.TYPE: on_price_changed,
        },
        workers=4,
        partition_key=lane_key,
    )


def lane_key(payload: dict[str, Any]) -> str:
    """One user's events stay in order (their position rows are the unit of work); a
    price has no user: its symbol keeps one symbol's prices in order."""
    order = payload.get("order") or {}
    return str(payload.get("user_id") or order.get("user_id") or payload.get("symbol") or "")


async def on_order_changed(session: AsyncSession, _: Envelope, event: OrderChanged) -> None:
    if event.fill is not None:
        await handlers.apply_fill(session, event.order, event.fill)


async def on_account_updated(
    session: AsyncSession, envelope: Envelope, event: AccountUpdated
) -> None:
    await handlers.update_cash(session, event, envelope.occurred_at)


async def on_securities_deposited(
    session: AsyncSession, _: Envelope, event: SecuritiesDeposited
) -> None:
    await handlers.deposit_securities(session, event)


async def on_price_changed(session: AsyncSession, _: Envelope, event: PriceChanged) -> None:
    await handlers.record_price(session, event)
