"""Pooled connections: one the server closed is replaced before a transaction gets it;
one idle past the threshold is pinged first; a busy one is used without a ping."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

from bourse.common import db as db_module
from bourse.common.db import Database
from bourse.common.testing import PG_ADMIN_DSN, ensure_services, temporary_database


@pytest.fixture
async def database() -> AsyncIterator[Database]:
    ensure_services()
    async with temporary_database("bourse_db_test") as url:
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
