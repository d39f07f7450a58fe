"""Closing the trading session: once per trading day, whichever instance sees the close
first claims it and sends ``end_of_day`` to every symbol's book; the engine cancels the
day orders there and order-service marks them ``expired`` (trader releases them)."""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.contracts.events import ExchangeCommand
from bourse.messaging.outbox import stage
from bourse.order.config import Settings
from bourse.order.db import instruments, sessions

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


async def close_session(db: Database, settings: Settings, trading_date: date) -> bool:
    """Claim ``trading_date``'s close and expire its day orders; False when already done."""

    async def work(session: AsyncSession) -> bool:
        claimed = await session.execute(
            insert(sessions)
            .values(trading_date=trading_date)
            .on_conflict_do_nothing()
            .returning(sessions.c.trading_date)
        )
        if claimed.first() is None:
            return False
        for symbol in (await session.execute(select(instruments.c.symbol))).scalars():
            await stage(
                session,
                ExchangeCommand(symbol=symbol, op="end_of_day", shards=settings.exchange_shards),
            )
        return True

    return await db.run(work)


class SessionCloser:
    """Checks the clock every few seconds; touches the database only when a new trading
    date's close has passed (and once at start, to catch up after downtime)."""

    def __init__(self, db: Database, settings: Settings, clock: Clock = utc_now) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self.calendar = settings.calendar.calendar()
        self.done: date | None = None

    async def check(self) -> date | None:
        """The trading date closed now, if this call closed one."""
        day = self.calendar.last_close(self.clock())
        if day == self.done:
            return None
        closed = await close_session(self.db, self.settings, day)
        self.done = day
        if closed:
            log.info("session of %s closed: day orders expire", day)
        return day if closed else None

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # the database may be down: try again at the next tick
                log.exception("closing the session failed")
            await asyncio.sleep(self.settings.session_check_interval_s)
