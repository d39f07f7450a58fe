"""Connections lent for reads (bourse.common.reads): one goes back to the pool after its
read, unless its state is unknown after a cancelled query; no more are open than the
pool's size; one idle past the threshold is pinged, kept when alive and replaced when the
network cut it silently."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import make_url

from bourse.common import reads
from bourse.common.db import Database, driver_dsn
from bourse.common.reads import ReadPool

PID = "SELECT pg_backend_pid()"


@pytest.fixture
async def pool(url: str) -> AsyncIterator[ReadPool]:
    pool = ReadPool(driver_dsn(url), size=2)
    yield pool
    await pool.close()


async def pid_of(pool: ReadPool, hold: float = 0.0) -> int:
    async with pool.connection() as pg:
        await asyncio.sleep(hold)
        return int(await pg.fetchval(PID))


async def test_a_lent_connection_goes_back_and_no_more_than_the_size_are_opened(
    pool: ReadPool,
) -> None:
    first = await pid_of(pool)
    assert {await pid_of(pool) for _ in range(3)} == {first}
    at_once = await asyncio.gather(*(pid_of(pool, hold=0.05) for _ in range(5)))
    assert len(set(at_once)) == 2  # the size: the other reads waited for one of them


async def test_a_statement_the_server_refused_leaves_the_connection_in_the_pool(
    pool: ReadPool,
) -> None:
    first = await pid_of(pool)
    with pytest.raises(Exception, match="division by zero"):
        async with pool.connection() as pg:
            await pg.fetchval("SELECT 1 / 0")
    assert await pid_of(pool) == first


async def test_a_read_cancelled_mid_query_does_not_come_back_to_the_pool(url: str) -> None:
    database = Database(url, pool_size=1, overflow=0)
    try:
        async with database.connection() as pg:
            first = int(await pg.fetchval(PID))
        slow = asyncio.create_task(database.fetchrow("SELECT pg_sleep(5)"))
        await asyncio.sleep(0.2)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        row = await database.fetchrow("SELECT pg_backend_pid() AS pid")
        assert row["pid"] != first  # a fresh connection, and it works
    finally:
        await database.dispose()


async def test_an_idle_connection_that_answers_its_ping_is_kept(
    pool: ReadPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await pid_of(pool)
    monkeypatch.setattr(reads, "PING_AFTER_IDLE_S", 0.0)
    assert await pid_of(pool) == first


class SilentCut:
    """A TCP relay to PostgreSQL that can go silent on the connections it carries, as a
    firewall that forgot them does: no reset, no close, nothing arrives any more."""

    def __init__(self) -> None:
        self.port = 0
        self._cut: list[asyncio.Event] = []
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> "SilentCut":
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.close()

    def cut(self) -> None:
        for silent in self._cut:
            silent.set()

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", 5432)
        silent = asyncio.Event()
        self._cut.append(silent)
        pumps = [
            asyncio.create_task(self._pump(client_r, server_w, silent)),
            asyncio.create_task(self._pump(server_r, client_w, silent)),
        ]
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for pump in pumps:  # one side closed: close the other (asyncpg waits for it)
            pump.cancel()
        for writer in (client_w, server_w):
            writer.close()

    @staticmethod
    async def _pump(
        source: asyncio.StreamReader, sink: asyncio.StreamWriter, silent: asyncio.Event
    ) -> None:
        while data := await source.read(65536):
            if not silent.is_set():
                sink.write(data)
                await sink.drain()


async def test_an_idle_connection_cut_silently_is_replaced_by_a_live_one(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with SilentCut() as relay:
        pool = ReadPool(driver_dsn(make_url(url).set(port=relay.port)), size=2)
        try:
            first = await pid_of(pool)
            relay.cut()
            monkeypatch.setattr(reads, "PING_AFTER_IDLE_S", 0.0)
            monkeypatch.setattr(reads, "PING_TIMEOUT_S", 0.3)
            assert await asyncio.wait_for(pid_of(pool), 5) != first
        finally:
            await pool.close()
