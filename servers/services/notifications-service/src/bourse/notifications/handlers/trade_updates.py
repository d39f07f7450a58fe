"""/ws/trade-updates (API.md, Orders): every change of a user's orders as Alpaca's
trade_updates, numbered per user (``seq`` 1, 2, 3 ...) and kept for ``?since=`` replays.

Its own work queue (``notifications.trade_updates``, a single active consumer: the seqs
follow the order in which order-service published), batch handler and pruning (here), SQL
(:mod:`store.trade_updates`), per-instance live fan-out (:mod:`live.trade_updates`, woken by
PostgreSQL NOTIFY through the service's one LISTEN connection)."""

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from bourse.common.db import Database
from bourse.messaging.uow import Event, UnitOfWork
from bourse.notifications.config import Settings
from bourse.notifications.domain.trade_updates import OrderEvent, trade_update
from bourse.notifications.metrics import TRADE_UPDATES_STORED
from bourse.notifications.store import trade_updates as store
from bourse.notifications.store.trade_updates import Stored


async def on_order_events(uow: UnitOfWork, events: Sequence[Event[OrderEvent]]) -> None:
    """Number and store each event as its user's next trade update, in message order (the
    queue has one active consumer, so that is the order order-service published in)."""
    updates = [trade_update(event.payload) for event in events]
    stored = await store.append_all(await uow.pg(), updates)
    TRADE_UPDATES_STORED.inc(len(stored))


@asynccontextmanager
async def connection(db: Database) -> AsyncIterator[asyncpg.Connection]:
    """A pooled asyncpg connection for single-statement reads (no transaction around)."""
    async with db.engine.connect() as conn:
        driver: Any = (await conn.get_raw_connection()).driver_connection
        yield driver


async def last_seq(db: Database, user_id: UUID) -> int:
    async with connection(db) as pg:
        return await store.last_seq(pg, user_id)


async def page(db: Database, user_id: UUID, after: int, limit: int) -> list[Stored]:
    async with connection(db) as pg:
        return await store.page(pg, user_id, after, limit)


async def after_each(db: Database, positions: Mapping[UUID, int], limit: int) -> list[Stored]:
    async with connection(db) as pg:
        return await store.after_each(pg, positions, limit)


# ---------------------------------------------------------------- pruning
# Updates older than the retention are deleted, a bounded chunk per statement, every
# ``trade_updates_prune_interval_s`` on every instance (concurrent prunes only delete the
# same old rows; the counters, and so the seqs, are never touched).

log = logging.getLogger(__name__)
CHUNK = 10_000


async def prune_once(db: Database, retention: timedelta, now: datetime | None = None) -> int:
    """Delete every update stored before ``now - retention``; how many went."""
    before = (now or datetime.now(UTC)) - retention
    total = 0
    while True:
        async with connection(db) as pg:
            deleted = await store.prune(pg, before, CHUNK)
        total += deleted
        if deleted < CHUNK:
            return total


async def run_pruner(db: Database, settings: Settings) -> None:
    retention = timedelta(days=settings.trade_updates_retention_days)
    while True:
        try:
            if deleted := await prune_once(db, retention):
                log.info("pruned %d trade updates older than %s", deleted, retention)
        except Exception:
            log.exception("pruning trade updates failed; trying again later")
        await asyncio.sleep(settings.trade_updates_prune_interval_s)
