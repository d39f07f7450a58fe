"""The scheduler: a background loop in every instance that places the due runs of
recurring orders and expires alerts. Safe with several instances (each due order is
claimed by one, ``FOR UPDATE SKIP LOCKED``); time comes from an injectable clock."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.auto.clock import Clock
from bourse.auto.handlers import alerts, runs
from bourse.common.calendar import MarketCalendar
from bourse.common.db import Database

log = logging.getLogger(__name__)
Hook = Callable[[list[runs.Placed]], Awaitable[None]]
# One prepared statement outside a transaction: most ticks find nothing to do, and two
# transactions per tick per instance were most of an idle instance's CPU.
_ANYTHING_DUE = """
SELECT
    EXISTS (SELECT 1 FROM recurring_orders WHERE status = 'active' AND next_run_at <= $1),
    EXISTS (SELECT 1 FROM alerts WHERE status = 'active' AND expires_at <= $1)
"""


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        batch: int = 100,
        interval: float = 1.0,
        before_commit: Hook | None = None,
        session_calendar: MarketCalendar | None = None,
    ) -> None:
        """``before_commit`` runs inside a batch's transaction, after its runs are staged
        (an instrumentation point: tests stop the scheduler there, mid-run).
        ``session_calendar``: runs are placed only while its market is open (what falls
        due meanwhile is placed at the next open, once); None: at any hour."""
        self.db = db
        self.clock = clock
        self.batch = batch
        self.interval = interval
        self.before_commit = before_commit
        self.session_calendar = session_calendar

    async def tick(self) -> list[runs.Placed]:
        """Place every run due now (batch after batch) and expire alerts."""
        now = self.clock()
        placed: list[runs.Placed] = []
        runs_due, alerts_due = await self.db.fetchrow(_ANYTHING_DUE, now)
        while runs_due and self.market_open(now):
            batch = await self.db.run(lambda session: self._batch(session, now))
            placed.extend(batch.placed)
            if batch.claimed < self.batch or not batch.placed:
                break  # nothing more is due (or what is due keeps failing: next tick)
        if alerts_due:
            await self.db.run(lambda session: alerts.expire_due(session, now))
        return placed

    def market_open(self, now: datetime) -> bool:
        return self.session_calendar is None or self.session_calendar.is_open(now)

    async def _batch(self, session: AsyncSession, now: datetime) -> runs.Batch:
        batch = await runs.place_due(session, now, self.batch)
        if self.before_commit is not None:
            await self.before_commit(batch.placed)
        return batch

    async def run_forever(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler tick failed; retrying")
            await asyncio.sleep(self.interval)
