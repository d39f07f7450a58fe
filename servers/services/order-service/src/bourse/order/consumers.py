"""What order-service consumes: the risk answers, instruments, prices and the orders
auto-service requests on one queue;
the exchange's execution reports (and its shards' start announcements, which name their
journal) on another, with a single active consumer so that reports are applied in the
exchange's order even with several instances running.
Bindings end in ``#``: symbols may contain dots (BRK.B), which ``*`` would not match."""

from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts import Envelope
from bourse.contracts.events import (
    AccountUpdated,
    ExchangeStarted,
    ExecutionsReported,
    InstrumentChanged,
    OrderRequested,
    PriceChanged,
    RiskAccepted,
    RiskRejected,
    SharesReleased,
)
from bourse.contracts.topology import AUTO, EXCHANGE, MARKET, TRADER
from bourse.messaging.runtime import Subscription
from bourse.messaging.topology import Binding, QueueSpec
from bourse.order.config import Settings
from bourse.order.domain.order_classes import ENTRY_CLASSES
from bourse.order.handlers import events as handlers


def subscriptions(settings: Settings) -> list[Subscription]:
    async def instrument(session: AsyncSession, _env: Envelope, payload: Any) -> None:
        await handlers.on_instrument_changed(session, payload)

    async def price(session: AsyncSession, _env: Envelope, payload: Any) -> None:
        await handlers.on_price_changed(session, payload, settings)

    async def order_requested(session: AsyncSession, _env: Envelope, payload: Any) -> None:
        await handlers.on_order_requested(session, settings, payload)

    async def shares_released(session: AsyncSession, _env: Envelope, payload: Any) -> None:
        await handlers.on_shares_released(session, settings, payload)

    async def exchange_started(session: AsyncSession, _env: Envelope, payload: Any) -> None:
        await handlers.on_exchange_started(session, settings, payload)

    risk_answers = partial(handlers.on_risk_answers, settings)  # one handler: one batch
    prefix = settings.queue_prefix
    events = QueueSpec(
        f"{prefix}order.events",
        [
            Binding(TRADER, "risk.*"),
            # a settled fill of an entry's class: its take-profits wait for it
            *(Binding(TRADER, f"account.updated.fill.{kind}") for kind in ENTRY_CLASSES),
            # shares an ended sell held are back: a close or a fired stop-loss may go on
            Binding(TRADER, SharesReleased.TYPE),
            Binding(MARKET, "instrument.changed.#"),
            Binding(MARKET, "market.price.#"),
            Binding(AUTO, OrderRequested.TYPE),
        ],
    )
    reports = QueueSpec(
        f"{prefix}order.executions", [Binding(EXCHANGE, "execution.#")], single_active_consumer=True
    )
    return [
        Subscription(
            events,
            {
                InstrumentChanged.TYPE: instrument,
                PriceChanged.TYPE: price,
                OrderRequested.TYPE: order_requested,
                SharesReleased.TYPE: shares_released,
            },
            batch={
                RiskAccepted.TYPE: risk_answers,
                RiskRejected.TYPE: risk_answers,
                # one per fill of every order: a batch costs one query (handlers/legs.py)
                AccountUpdated.TYPE: partial(handlers.on_fills_settled, settings),
            },
        ),
        Subscription(
            reports,
            {ExchangeStarted.TYPE: exchange_started},
            batch={ExecutionsReported.TYPE: partial(handlers.on_reports, settings)},
        ),
    ]


def by_order_or_symbol(payload: dict[str, Any]) -> str:
    return str(payload.get("order_id") or payload.get("symbol") or "")


def by_symbol(payload: dict[str, Any]) -> str:
    return str(payload.get("symbol") or "")
