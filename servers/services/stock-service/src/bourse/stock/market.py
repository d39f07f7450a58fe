"""The throttled publication of prices (a price held back goes out in its slot even
when no later trade comes), and one trade or book applied alone as the consumer's
batches apply them (handlers/events.py)."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import BookChanged, PriceChanged, TradeExecuted
from bourse.messaging.outbox import stage
from bourse.messaging.uow import Event, UnitOfWork
from bourse.stock.db import instruments
from bourse.stock.handlers import events

log = logging.getLogger(__name__)


async def trade_executed(
    session: AsyncSession, trade: TradeExecuted, throttle: timedelta, now: datetime | None = None
) -> None:
    """One trade, as a batch of one (the consumer takes batches: handlers/events.py)."""
    uow = UnitOfWork(session)
    await events.apply_trades(uow, [_event(trade)], throttle, now or datetime.now(UTC))
    await uow.flush()


async def book_changed(session: AsyncSession, book: BookChanged) -> None:
    """One book, as a batch of one."""
    await events.on_books(UnitOfWork(session), [_event(book)])


def _event(payload: TradeExecuted | BookChanged) -> Event[Any]:
    return Event(Envelope(type=payload.TYPE, payload=payload.model_dump(mode="json")), payload)


async def flush_prices(session: AsyncSession, throttle: timedelta, now: datetime) -> int:
    """Publish every throttled price whose slot has come; returns how many."""
    due = (
        select(instruments.c.symbol)
        .where(
            instruments.c.price_pending,
            or_(
                instruments.c.price_published_at.is_(None),
                instruments.c.price_published_at <= now - throttle,
            ),
        )
        .with_for_update(skip_locked=True)  # a row a consumer holds: the next round
    )
    rows = (
        await session.execute(
            update(instruments)
            .where(instruments.c.symbol.in_(due.scalar_subquery()))
            .values(price_pending=False, price_published_at=now)
            .returning(instruments.c.symbol, instruments.c.last_price, instruments.c.last_trade_at)
        )
    ).all()
    await stage(
        session,
        *(PriceChanged(symbol=r.symbol, price=r.last_price, ts=r.last_trade_at) for r in rows),
    )
    return len(rows)


# One prepared statement outside a transaction: most rounds find nothing due, and a
# transaction per round (two instances, eight rounds a second each) was most of an idle
# instance's CPU.
_ANY_DUE = """
SELECT EXISTS (
    SELECT 1 FROM instruments
    WHERE price_pending AND (price_published_at IS NULL OR price_published_at <= $1)
)
"""


async def flush_forever(db: Database, throttle: timedelta) -> None:
    """The background half of the throttle: a price held back is published in its slot
    even when no later trade comes."""
    period = max(throttle.total_seconds() / 2, 0.01)
    while True:
        await asyncio.sleep(period)
        now = datetime.now(UTC)
        try:
            if (await db.fetchrow(_ANY_DUE, now - throttle))[0]:
                await db.run(partial(flush_prices, throttle=throttle, now=now))
        except Exception as exc:
            log.warning("price flush failed: %r", exc)
