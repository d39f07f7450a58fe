"""A transaction driven on asyncpg, on a connection of the service's pool: the hot path's
transaction without SQLAlchemy's session around it.

Through a session, a consumer-like transaction of four round trips costs about twice the
Python CPU that the same statements cost on asyncpg alone (``python -m bourse.bench.sql``):
the session, its transaction and the greenlet hops of its commit. Here the connection is
taken from SQLAlchemy's pool as it is (checked on checkout, reset on return, as every
other), BEGIN and COMMIT are sent on the driver, and a session is made only when a cold
path asks for one: on the same connection, inside the same transaction, so its statements
commit or roll back with the rest.

Relies on two internals of SQLAlchemy's asyncpg adapter (``_start_transaction`` and
``_transaction``), in :func:`begun` only: BEGIN through the adapter, so that a session's
statements see the transaction and join it instead of beginning their own. The locked
version is tested (libs/common/tests/integration/test_driven.py).
"""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import PoolProxiedConnection


async def begun(adapted: Any) -> None:
    """SQLAlchemy's asyncpg adapter sends BEGIN only with its own first statement: a
    statement sent on the driver's connection before that would run outside the
    transaction (and commit on its own). Start the transaction now if it has not begun."""
    if adapted._transaction is None:
        await adapted._start_transaction()
    if adapted._transaction is None:  # an AUTOCOMMIT connection: never expected
        raise RuntimeError("the pooled connection did not begin a transaction")


class DrivenTransaction:
    """One transaction on one pooled connection: :attr:`pg` for the hot path,
    :attr:`session` (made on first use) for the cold one."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        pooled: PoolProxiedConnection,
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._pooled = pooled
        self._adapted: Any = pooled.dbapi_connection
        self.pg: asyncpg.Connection = pooled.driver_connection
        self._connection: AsyncConnection | None = None
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """A session on this transaction's connection, made the first time it is asked for."""
        if self._session is None:
            sync = Connection(self._engine.sync_engine, connection=self._pooled)
            self._connection = AsyncConnection(self._engine, sync)
            self._session = self._sessions(bind=self._connection)
        return self._session

    @property
    def has_session(self) -> bool:
        return self._session is not None

    async def begin(self) -> None:
        await begun(self._adapted)

    async def commit(self) -> None:
        """Through the session if there is one (its flush and before-commit hooks run);
        then whatever it left open (a session that ran nothing commits nothing)."""
        if self._session is not None:
            await self._session.commit()
        await self._end("commit")

    async def rollback(self) -> None:
        """The caller suppresses what this raises: the error that matters is its own."""
        if self._session is not None:
            await self._session.rollback()
        await self._end("rollback")

    async def release(self) -> None:
        """The connection back to the pool; one that broke is discarded instead."""
        if self.pg.is_closed():
            self._pooled.invalidate()
        if self._session is not None:
            await self._session.close()
        if self._connection is not None:
            await self._connection.close()  # closes the pooled connection it wraps
        else:
            self._pooled.close()

    async def _end(self, how: str) -> None:
        transaction = self._adapted._transaction
        if transaction is not None:
            await self._adapted._call_and_discard(getattr(transaction, how))


@contextlib.asynccontextmanager
async def driven_transaction(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[DrivenTransaction]:
    """A transaction on a pooled connection: committed if the block succeeds, rolled back
    if it raises, and the connection returned (or discarded, if it broke) either way."""
    transaction = DrivenTransaction(engine, sessions, await engine.raw_connection())
    try:
        await transaction.begin()
        yield transaction
        await transaction.commit()
    except BaseException:
        with contextlib.suppress(Exception):  # the error that matters is the one raised
            await transaction.rollback()
        raise
    finally:
        await transaction.release()
