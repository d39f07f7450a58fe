"""The database of one service: an async engine, sessions, and transactions that retry
on serialization failures and deadlocks (PostgreSQL SQLSTATE 40001 / 40P01)."""

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import URL, MetaData, Numeric, event, make_url, text
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from bourse.common.driven import DrivenTransaction, driven_transaction
from bourse.common.reads import PING_AFTER_IDLE_S, ReadPool

log = logging.getLogger(__name__)
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})

# One naming convention everywhere, so Alembic autogenerate names constraints stably.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


# The column types of decimals (ARCHITECTURE §5: NUMERIC, never a float). Each database
# keeps the precision its migrations gave it: trader-service's ledger stores money to 4
# places and prices in 20 digits, and auto-service's tables follow the ledger; order-service
# stores money (price x quantity, fees) to 8 places. Widening either is a migration.
QUANTITY = Numeric(24, 8)  # shares, lots: every service
PRICE = Numeric(24, 8)  # order-service's prices and tick sizes
MONEY = Numeric(28, 8)  # order-service's notionals, reserved cash and fees
LEDGER_PRICE = Numeric(20, 8)  # trader-service's and auto-service's prices and tick sizes
LEDGER_MONEY = Numeric(20, 4)  # trader-service's cash and amounts, auto-service's notionals


def driver_dsn(url: str | URL) -> str:
    """SQLAlchemy's ``postgresql+asyncpg://...`` as the DSN asyncpg itself takes."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def retry_conflicts(attempt: Callable[[], Awaitable[T]], attempts: int = 5) -> T:
    """``attempt()``, again after a serialization failure or a deadlock, with backoff."""
    for n in range(1, attempts + 1):
        try:
            return await attempt()
        except DBAPIError as exc:
            if not is_retryable(exc) or n == attempts:
                raise
            log.info("retrying transaction after %s (attempt %d)", exc.orig, n)
            await asyncio.sleep(0.005 * 2**n)
    raise AssertionError("unreachable")


def is_retryable(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(
        getattr(orig, "__cause__", None), "sqlstate", None
    )
    return sqlstate in RETRYABLE_SQLSTATES


class Database:
    def __init__(self, url: str, pool_size: int = 10, overflow: int | None = None) -> None:
        """``pool_size`` connections kept open for transactions, ``overflow`` (default: as
        many) more opened for a burst and closed again when returned; reads outside a
        transaction (:meth:`connection`) open up to both together, as they need them."""
        overflow = pool_size if overflow is None else overflow
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=overflow
        )
        _validate_on_checkout(self.engine)
        self.reads = ReadPool(driver_dsn(url), pool_size + overflow)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._reading = async_sessionmaker(autocommit, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads, with no transaction around its statements: no BEGIN and
        COMMIT round trips (a read of one row costs 340-380 us of CPU here instead of
        490-590). A read sees what it would inside a transaction: at READ COMMITTED every
        statement takes its own snapshot either way. Not for writes: each would commit
        on its own."""
        async with self._reading() as session:
            yield session

    def driven(self) -> AbstractAsyncContextManager[DrivenTransaction]:
        """A transaction driven on asyncpg, a session only if asked for
        (:mod:`bourse.common.driven`): the hot path's transactions."""
        return driven_transaction(self.engine, self.sessions)

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]], attempts: int = 5) -> T:
        """Run ``work`` in a transaction, retrying serialization failures and deadlocks."""

        async def attempt() -> T:
            async with self.transaction() as session:
                return await work(session)

        return await retry_conflicts(attempt, attempts)

    async def run_driven(
        self, work: Callable[[DrivenTransaction], Awaitable[T]], attempts: int = 5
    ) -> T:
        """:meth:`run` on a driven transaction (:meth:`driven`)."""

        async def attempt() -> T:
            async with self.driven() as transaction:
                return await work(transaction)

        return await retry_conflicts(attempt, attempts)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A pooled asyncpg connection outside any transaction, for reads of one statement
        each: one round trip (no BEGIN and COMMIT around it), the statement prepared once
        per connection (:class:`bourse.common.reads.ReadPool`)."""
        async with self.reads.connection() as driver:
            yield driver

    async def fetchrow(self, query: str, *args: Any) -> Any:
        """One row (an asyncpg Record, or None) of a read by key, outside a transaction
        (:meth:`connection`). For hot reads of a single row."""
        async with self.connection() as driver:
            return await driver.fetchrow(query, *args)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.reads.close()
        await self.engine.dispose()


async def fetch_or_create(
    fetch: Callable[[], Awaitable[T | None]], create: Callable[[], Awaitable[object]]
) -> T:
    """The row ``fetch`` selects (usually FOR UPDATE), created first by ``create`` (an
    INSERT ... ON CONFLICT DO NOTHING) when missing. The row nearly always exists, so it
    is fetched first: one statement, not an insert attempt before every read. Two
    transactions creating it at once are safe: the conflicting insert waits for the
    first, then does nothing, and the second fetch sees the row."""
    row = await fetch()
    if row is None:
        await create()
        row = await fetch()
    if row is None:
        raise AssertionError("a row created in this transaction vanished")
    return row


async def fetch_or_create_all(
    fetch: Callable[[list[K]], Awaitable[dict[K, T]]],
    create: Callable[[list[K]], Awaitable[object]],
    keys: list[K],
) -> dict[K, T]:
    """:func:`fetch_or_create` for many rows at once: ``fetch`` selects (and locks) the
    rows of some keys, ``create`` inserts the missing ones (ON CONFLICT DO NOTHING); the
    rows of every key, with one statement each in the usual case that all exist."""
    found = await fetch(keys) if keys else {}
    missing = [key for key in keys if key not in found]
    if missing:
        await create(missing)
        found |= await fetch(missing)
    return found


def unnest_columns(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows as the column arrays that ``... SELECT * FROM unnest($1, $2, ...)`` takes:
    one statement writes them all, whatever their number."""
    return [list(column) for column in zip(*rows, strict=True)]


def dataclass_columns(kind: type, items: Sequence[Any]) -> list[list[Any]]:
    """Instances of the dataclass ``kind`` as the column arrays of :func:`unnest_columns`,
    one per field in field order (empty ones for no items, so that a statement's arrays
    are all there). Shallow: ``dataclasses.astuple`` deep-copies every value, which cost
    a tenth of trader-service's CPU on its hot path."""
    names = [field.name for field in dataclasses.fields(kind)]
    return [[getattr(item, name) for item in items] for name in names]


def _validate_on_checkout(engine: AsyncEngine) -> None:
    """Hand out only live connections, at the cost of a ping only after idleness
    (:data:`PING_AFTER_IDLE_S`). SQLAlchemy's pool_pre_ping would ping every checkout:
    three round trips (BEGIN, ping, ROLLBACK) on asyncpg, more than most of our
    transactions themselves cost.

    A busy connection that the server closed (a restart) is found without a round trip:
    asyncpg marks it closed when the server's goodbye arrives. One that sat idle may have
    been cut silently (a firewall, a failover), so it is pinged. Raising
    DisconnectionError makes the pool discard it and try another.
    """

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _stamp(_dbapi: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _check(dbapi: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        if dbapi._connection.is_closed():
            raise DisconnectionError("connection closed by the server")
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since > PING_AFTER_IDLE_S:
            try:
                dbapi.ping()
            except Exception as exc:
                raise DisconnectionError("connection failed its ping") from exc
