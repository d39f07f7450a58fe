"""Test support (like bourse.testing): a clock tests move by hand, :func:`deliver`
to apply an event the way the consumer does (inbox first, then the handler, in one
transaction) without the broker, builders of the events auto-service consumes, and
readers of what it staged in the outbox."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, text

from bourse.auto.consumers import BATCH, HANDLERS, QUEUE
from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import (
    InstrumentChanged,
    OrderChanged,
    OrderRequested,
    OrderSnapshot,
    OrderStatus,
    Payload,
    PriceChanged,
    Side,
)
from bourse.messaging.consumer import batch_handlers
from bourse.messaging.tables import outbox
from bourse.testing.messaging import apply_batch_as_consumer, envelope_of

T0 = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)  # the tests' "now": a Monday
Headers = Callable[[uuid.UUID], dict[str, str]]  # a user id -> its Authorization header
CONSUMED = batch_handlers(HANDLERS, BATCH)  # every message type, as the consumer applies it
TABLES = ("recurring_orders", "runs", "alerts", "prices", "outbox", "inbox", "idempotency_keys")


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


async def deliver(db: Database, payload: Payload, message_id: uuid.UUID | None = None) -> bool:
    """Apply ``payload`` as the consumer would; False when the inbox says it was seen."""
    envelope = envelope_of(payload, message_id)
    return bool(await apply_batch_as_consumer(db, QUEUE, CONSUMED, [envelope]))


def order_changed(
    user_id: uuid.UUID,
    client_order_id: str | None,
    status: OrderStatus,
    *,
    filled_qty: str = "0",
    avg_price: str | None = None,
    reject_reason: str | None = None,
    symbol: str = "ACME",
    side: Side = "buy",
    order_id: uuid.UUID | None = None,
) -> OrderChanged:
    snapshot = OrderSnapshot(
        id=order_id or uuid.uuid4(),
        user_id=user_id,
        client_order_id=client_order_id,
        symbol=symbol,
        side=side,
        type="market",
        time_in_force="day",
        qty=Decimal("1"),
        notional=None,
        limit_price=None,
        filled_qty=Decimal(filled_qty),
        filled_avg_price=Decimal(avg_price) if avg_price else None,
        status=status,
        reject_reason=reject_reason,
        updated_at=datetime.now(UTC),
    )
    # an order auto-service asked for, routed as order-service routes it: order.<status>.auto
    return OrderChanged(order=snapshot, requested_by=OrderRequested.REQUESTER)


def instrument(symbol: str, lot_size: str = "1", tick_size: str = "0.01") -> InstrumentChanged:
    return InstrumentChanged(
        symbol=symbol,
        name=symbol,
        tick_size=Decimal(tick_size),
        lot_size=Decimal(lot_size),
        status="trading",
    )


async def list_instruments(db: Database, *symbols: str, lot_size: str = "1") -> None:
    """Make ``symbols`` known, as their instrument.changed events would."""
    for symbol in symbols:
        await deliver(db, instrument(symbol, lot_size))


def price(symbol: str, value: str, ts: datetime) -> PriceChanged:
    return PriceChanged(symbol=symbol, price=Decimal(value), ts=ts)


async def staged(db: Database, routing_key: str | None = None) -> list[Envelope]:
    """Staged events (optionally of one routing key), oldest first."""
    query = select(outbox.c.body).order_by(outbox.c.id)
    if routing_key is not None:
        query = query.where(outbox.c.routing_key == routing_key)
    async with db.transaction() as session:
        bodies = await session.scalars(query)
        return [Envelope.from_bytes(body) for body in bodies]


async def truncate(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text(f"TRUNCATE {', '.join(TABLES)}"))
