"""Use cases of trade updates: the consumer's batches, and the reads of a socket (its
starting point, its replay) and of the live hub. Every read is scoped by the user id."""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg

from bourse.common.db import Database
from bourse.messaging.uow import Event, UnitOfWork
from bourse.notifications.domain.trade_updates import OrderEvent, trade_update
from bourse.notifications.metrics import TRADE_UPDATES_STORED
from bourse.notifications.trade_updates import store
from bourse.notifications.trade_updates.store import Stored


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
