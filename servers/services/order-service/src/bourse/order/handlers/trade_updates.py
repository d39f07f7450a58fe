"""/ws/trade-updates (API.md, Orders): every change of a user's orders as Alpaca's
trade_updates, numbered per user (``seq`` 1, 2, 3 ...) and kept for ``?since=`` replays.

Written in the transaction that changes the order: :class:`TradeUpdatesLog` observes what
order-service stages for the outbox (bourse.messaging.staging), and each
``OrderChanged`` / ``OrderCancelRequested`` becomes its user's next update, in staging
order, written once per transaction just before it commits (:func:`store.append_all`,
one statement: the batch's users' counters locked once in user id order, the updates
inserted). So the seqs follow the order in which the changes were made, on every
instance, with no queue in between. The events only this log wants (pending_new, new,
cancel_requested: no queue binds them) are not published at all
(:func:`domain.trade_updates.log_only`).
Also here: the socket's reads and the pruning. SQL: :mod:`store.trade_updates`; live
fan-out: :mod:`live.trade_updates` (woken by PostgreSQL NOTIFY through the instance's
LISTEN connection)."""

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from bourse.common.db import Database
from bourse.contracts.events import OrderCancelRequested, OrderChanged, Payload
from bourse.order.config import Settings
from bourse.order.domain.trade_updates import TradeUpdate, log_only, trade_update
from bourse.order.metrics import TRADE_UPDATES_STORED
from bourse.order.store import trade_updates as store
from bourse.order.store.trade_updates import Stored


class TradeUpdatesLog:
    """The staging observer that turns order events into trade updates."""

    def observe(self, payload: Payload) -> TradeUpdate | None:
        if isinstance(payload, OrderChanged | OrderCancelRequested):
            return trade_update(payload)
        return None

    def publishes(self, payload: Payload) -> bool:
        return not log_only(payload)

    async def write(self, pg: asyncpg.Connection, observed: Sequence[TradeUpdate]) -> None:
        TRADE_UPDATES_STORED.inc(await store.append_all(pg, observed))


async def last_seq(db: Database, user_id: UUID) -> int:
    async with db.connection() as pg:
        return await store.last_seq(pg, user_id)


async def page(db: Database, user_id: UUID, after: int, limit: int) -> list[Stored]:
    async with db.connection() as pg:
        return await store.page(pg, user_id, after, limit)


async def after_each(db: Database, positions: Mapping[UUID, int], limit: int) -> list[Stored]:
    async with db.connection() as pg:
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
        async with db.connection() as pg:
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
