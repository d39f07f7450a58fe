"""Test support (like bourse.testing): builders for the events trader-service
consumes, :func:`deliver` to apply one the way the consumer does (inbox first, then the
handler, one transaction) without the broker, readers of the resulting balances, and
:class:`Outbound` to capture what the service publishes."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aio_pika.abc import AbstractQueue
from sqlalchemy import select

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import (
    Fill,
    InstrumentChanged,
    OrderChanged,
    OrderSnapshot,
    OrderStatus,
    Payload,
    RiskRequested,
    Side,
)
from bourse.messaging.consumer import batch_handlers
from bourse.messaging.tables import outbox
from bourse.messaging.wire import envelopes_of
from bourse.testing.messaging import apply_batch_as_consumer, envelope_of
from bourse.trader.config import Settings
from bourse.trader.consumers import subscription
from bourse.trader.db import accounts, holdings, reservations

D = Decimal
Headers = Callable[[uuid.UUID], dict[str, str]]  # a user id -> its Authorization header
SYMBOL = "ACME"
_SUBSCRIPTION = subscription(Settings())
HANDLERS = batch_handlers(_SUBSCRIPTION.handlers, _SUBSCRIPTION.batch)
CONSUMER = "trader.events"


async def deliver(db: Database, payload: Payload, message_id: uuid.UUID | None = None) -> bool:
    """Apply ``payload`` as the consumer would; False when the inbox says it was seen."""
    return bool(await deliver_batch(db, [envelope_of(payload, message_id)]))


async def deliver_batch(db: Database, envelopes: list[Envelope]) -> list[uuid.UUID]:
    """Apply ``envelopes`` as one consumer batch; returns the ids new to the inbox."""
    return await apply_batch_as_consumer(db, CONSUMER, HANDLERS, envelopes)


def risk(
    user_id: uuid.UUID,
    side: Side,
    *,
    cash: str = "0",
    qty: str = "0",
    order_id: uuid.UUID | None = None,
    symbol: str = SYMBOL,
) -> RiskRequested:
    return RiskRequested(
        order_id=order_id or uuid.uuid4(),
        user_id=user_id,
        symbol=symbol,
        side=side,
        reserve_cash=D(cash),
        reserve_qty=D(qty),
    )


def fill(qty: str, price: str, fill_id: uuid.UUID | None = None, fee: str = "0") -> Fill:
    return Fill(
        id=fill_id or uuid.uuid4(),
        qty=D(qty),
        price=D(price),
        liquidity="taker",
        ts=datetime.now(UTC),
        fee=D(fee),
    )


def order_changed(
    request: RiskRequested,
    status: OrderStatus,
    filled_qty: str,
    with_fill: Fill | None = None,
) -> OrderChanged:
    snapshot = OrderSnapshot(
        id=request.order_id,
        user_id=request.user_id,
        client_order_id=None,
        symbol=request.symbol,
        side=request.side,
        type="limit",
        time_in_force="day",
        qty=D("100"),
        notional=None,
        limit_price=D("10"),
        filled_qty=D(filled_qty),
        filled_avg_price=None,
        status=status,
        reject_reason=None,
        updated_at=datetime.now(UTC),
    )
    return OrderChanged(order=snapshot, fill=with_fill)


def instrument(symbol: str, lot_size: str = "1", status: str = "trading") -> InstrumentChanged:
    return InstrumentChanged.model_validate(
        {
            "symbol": symbol,
            "name": f"{symbol} Corp",
            "tick_size": "0.01",
            "lot_size": lot_size,
            "status": status,
        }
    )


async def balances(db: Database, user_id: uuid.UUID) -> tuple[Decimal, Decimal]:
    """(cash, reserved_cash) of the account."""
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(accounts.c.cash, accounts.c.reserved_cash).where(
                    accounts.c.user_id == user_id
                )
            )
        ).one()
    return row.cash, row.reserved_cash


async def holding(
    db: Database, user_id: uuid.UUID, symbol: str = SYMBOL
) -> tuple[Decimal, Decimal]:
    """(qty, reserved_qty) of the holding; zeros when there is none."""
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(holdings.c.qty, holdings.c.reserved_qty).where(
                    holdings.c.user_id == user_id, holdings.c.symbol == symbol
                )
            )
        ).one_or_none()
    return (row.qty, row.reserved_qty) if row else (D(0), D(0))


async def reservation(db: Database, order_id: uuid.UUID) -> Any:
    async with db.transaction() as session:
        return (
            await session.execute(select(reservations).where(reservations.c.order_id == order_id))
        ).one_or_none()


async def staged(db: Database, user_id: uuid.UUID) -> list[Envelope]:
    """Events in the outbox about ``user_id``, oldest first."""
    async with db.transaction() as session:
        rows = (await session.execute(select(outbox.c.body).order_by(outbox.c.id))).all()
    envelopes = [Envelope.from_bytes(row.body) for row in rows]
    return [e for e in envelopes if e.payload.get("user_id") == str(user_id)]


class Outbound:
    """Everything published to ``queue`` (bound to bourse.trader), in arrival order."""

    def __init__(self, queue: AbstractQueue) -> None:
        self.queue = queue
        self.seen: list[Envelope] = []

    async def wait_for(self, match: Callable[[Envelope], bool], timeout: float = 10.0) -> Envelope:
        async with asyncio.timeout(timeout):
            while True:
                for envelope in self.seen:
                    if match(envelope):
                        return envelope
                message = await self.queue.get(no_ack=True, fail=False)
                if message is None:
                    await asyncio.sleep(0.02)
                else:
                    self.seen += envelopes_of(message)
