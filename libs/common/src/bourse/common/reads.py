"""Connections for reads of one statement each, from asyncpg's own pool.

SQLAlchemy's pool hands out a connection through a greenlet on the way in and another on
the way out, and a greenlet's first Python frame maps a fresh 16 KiB stack chunk that it
unmaps when it ends: two mmap/munmap pairs and their page faults per read. Measured on a
loop of one-row reads by key (order-service's ``GET /orders/{id}``): 165-190 us of CPU
per read through SQLAlchemy's pool, 125 us through this one, 96-105 us on one connection
held for the whole loop.

Unlike asyncpg's default, a connection is returned with no reset query (these
connections never change the session's state; asyncpg still rolls back a transaction
left open). A connection idle for longer than :data:`PING_AFTER_IDLE_S` is
pinged before use, as the SQLAlchemy pool's are (:mod:`bourse.common.db`); one that fails
its ping is closed and the next is tried.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

# A pooled connection idle for longer than this is pinged before use (here and in
# bourse.common.db's SQLAlchemy pool).
PING_AFTER_IDLE_S = 5.0
PING_TIMEOUT_S = 5.0
# A ping that fails this way means the connection is gone: try another.
_GONE = (OSError, asyncio.TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError)


class ReadConnection(asyncpg.Connection):  # type: ignore[misc]
    """A pooled connection that knows when it was last returned."""

    __slots__ = ("returned_at",)


class StaleConnectionError(Exception):
    """A connection idle past the threshold failed its ping (and was closed)."""


async def _stamp(connection: Any) -> None:
    connection.returned_at = time.monotonic()


async def _ping_if_idle(connection: Any) -> None:
    if time.monotonic() - connection.returned_at <= PING_AFTER_IDLE_S:
        return
    try:
        await connection.execute("SELECT 1", timeout=PING_TIMEOUT_S)
    except _GONE as exc:
        connection.terminate()  # closing it gracefully could wait on a dead peer
        raise StaleConnectionError("a pooled connection failed its ping") from exc


class ReadPool:
    """Up to ``size`` connections to ``dsn`` (asyncpg's), opened as reads need them."""

    def __init__(self, dsn: str, size: int) -> None:
        self._dsn = dsn
        self._size = size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for one read. Its state is unknown after a failure the server did
        not report (cancelled mid-query, connection lost), so it is then closed, not
        returned for another read."""
        pool = self._pool or await self._open()
        connection = await self._acquire(pool)
        try:
            yield connection
        except asyncpg.PostgresError:
            raise  # the server answered: the connection is fine
        except BaseException:
            connection.terminate()
            raise
        finally:
            await pool.release(connection)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def _acquire(self, pool: asyncpg.Pool) -> asyncpg.Connection:
        for _ in range(self._size):
            try:
                connection: asyncpg.Connection = await pool.acquire()
                return connection
            except StaleConnectionError:
                continue  # closed by the pool; its place reconnects when next taken
        connection = await pool.acquire()
        return connection

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=0,
                    max_size=self._size,
                    connection_class=ReadConnection,
                    init=_stamp,
                    setup=_ping_if_idle,
                    reset=_stamp,
                )
            return self._pool
