"""What the messaging tests share: a table of effects that a second apply would break,
and small queries on it (imported by the test modules; conftest.py puts this folder on
the import path)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.dialects.postgresql import UUID

from bourse.common.db import Database
from bourse.messaging.consumer import Consumer

test_metadata = MetaData()
effects = Table(
    "effects",
    test_metadata,
    Column("message_id", UUID(as_uuid=True), primary_key=True),  # a second apply would fail
    Column("attempt", Integer, nullable=False),
)
# What a staging observer wrote (test_staging.py): symbols, in the order it was given them.
observed = Table(
    "observed",
    test_metadata,
    Column("position", Integer, primary_key=True),
    Column("symbol", String(16), nullable=False),
)


async def applied(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(effects)) or 0)


@contextlib.asynccontextmanager
async def running(*tasks: Callable[[], Any]) -> AsyncIterator[None]:
    """Run ``tasks`` (a relay's or a consumer's ``run``) for the block, then cancel them."""
    started = [asyncio.create_task(task()) for task in tasks]
    try:
        yield
    finally:
        for task in started:
            task.cancel()
        await asyncio.gather(*started, return_exceptions=True)


@contextlib.asynccontextmanager
async def consuming(consumer: Consumer) -> AsyncIterator[None]:
    """Run ``consumer`` (started) for the block, then stop it: what it has not acked goes
    back to its queue."""
    try:
        async with running(consumer.run):
            yield
    finally:
        await consumer.stop()
