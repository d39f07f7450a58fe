"""The throttled publication of prices (a price held back goes out in its slot even
when no later trade comes), and one trade or book applied alone as the consumer's
batches apply them (handlers/events.py)."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import BookChanged, PriceChanged, TradeExecuted
from bourse.messaging.uow import Event, UnitOfWork, run_unit
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


# Rows a consumer holds are skipped: they are published in the next round.
_TAKE_DUE = """
UPDATE instruments SET price_pending = false, price_published_at = $1
WHERE symbol IN (
    SELECT symbol FROM instruments
    WHERE price_pending AND (price_published_at IS NULL OR price_published_at <= $2)
    FOR UPDATE SKIP LOCKED
)
RETURNING symbol, last_price, last_trade_at
"""


async def flush_prices(uow: UnitOfWork, throttle: timedelta, now: datetime) -> int:
    """Publish every throttled price whose slot has come; returns how many."""
    rows = await (await uow.pg()).fetch(_TAKE_DUE, now, now - throttle)
    uow.stage(*(_price(row) for row in rows))
    await uow.flush()
    return len(rows)


def _price(row: Any) -> PriceChanged:
    return PriceChanged(symbol=row["symbol"], price=row["last_price"], ts=row["last_trade_at"])


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
                await run_unit(db, partial(flush_prices, throttle=throttle, now=now))
        except Exception as exc:
            log.warning("price flush failed: %r", exc)
