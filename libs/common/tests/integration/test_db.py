"""Pooled connections: one the server closed is replaced before a transaction gets it;
one idle past the threshold is pinged first; a busy one is used without a ping. And a row
locked, or created first when missing, by two transactions at once. (Connections lent for
reads: test_reads.py.)"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common import db as db_module
from bourse.common.db import Database, fetch_or_create
from bourse.testing.infra import PG_ADMIN_DSN


@pytest.fixture
async def database(url: str) -> AsyncIterator[Database]:
    database = Database(url, pool_size=1)
    yield database
    await database.dispose()


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = AsyncAdapt_asyncpg_connection.ping

    def counted(self: AsyncAdapt_asyncpg_connection) -> None:
        calls.append(1)
        real(self)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    return calls


async def backend_pid(database: Database) -> int:
    async with database.transaction() as session:
        return int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)


async def test_a_connection_the_server_closed_is_replaced_without_an_error(
    database: Database,
) -> None:
    first = await backend_pid(database)
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", first)
    finally:
        await admin.close()
    await asyncio.sleep(0.2)  # the server's goodbye reaches the idle pooled connection
    assert await backend_pid(database) != first


async def test_a_busy_connection_is_not_pinged(database: Database, pings: list[int]) -> None:
    first = await backend_pid(database)
    for _ in range(5):
        assert await backend_pid(database) == first
    assert pings == []


async def test_a_connection_idle_past_the_threshold_is_pinged(
    database: Database, pings: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await backend_pid(database)
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)
    assert await backend_pid(database) == first  # alive: kept after its ping
    assert len(pings) == 1


async def test_fetch_or_create_creates_once_when_two_transactions_race(
    database: Database,
) -> None:
    """Both transactions first find no row; one creates it, the other's insert waits for
    that commit and does nothing; both end up holding the one row, one after the other."""
    database = Database(str(database.engine.url.render_as_string(hide_password=False)), 2)
    async with database.transaction() as session:
        await session.execute(text("CREATE TABLE counters (key text PRIMARY KEY, n int)"))
    both_looked = asyncio.Barrier(2)

    async def bump(session: AsyncSession) -> int:
        looked = False

        async def lock() -> Any:
            nonlocal looked
            row = (
                await session.execute(text("SELECT n FROM counters WHERE key = 'k' FOR UPDATE"))
            ).one_or_none()
            if not looked:
                looked = True
                await both_looked.wait()  # neither has created it yet
            return row

        async def create() -> None:
            await session.execute(
                text("INSERT INTO counters VALUES ('k', 0) ON CONFLICT DO NOTHING")
            )

        row = await fetch_or_create(lock, create)
        await session.execute(text("UPDATE counters SET n = n + 1 WHERE key = 'k'"))
        return int(row.n)

    seen = await asyncio.gather(database.run(bump), database.run(bump))
    async with database.transaction() as session:
        assert await session.scalar(text("SELECT n FROM counters")) == 2
    assert sorted(seen) == [0, 1]  # serialized by the lock: the second saw the first's bump
    await database.dispose()


async def test_a_reading_session_runs_each_statement_on_its_own(database: Database) -> None:
    """No transaction around a reading session's statements: each has its own start
    (inside a transaction, now() is the transaction's and stays the same)."""
    now = text("SELECT now()")
    async with database.transaction() as session:
        first = await session.scalar(now)
        await asyncio.sleep(0.01)
        assert await session.scalar(now) == first
    async with database.reading() as session:
        first = await session.scalar(now)
        await asyncio.sleep(0.01)
        assert await session.scalar(now) != first
        assert await session.scalar(text("SHOW transaction_isolation")) == "read committed"
    await backend_pid(database)  # its connection went back, fit for a transaction
    async with database.transaction() as session:
        assert await session.scalar(now) == await session.scalar(now)
