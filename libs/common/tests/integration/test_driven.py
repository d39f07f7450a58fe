"""Transactions driven on asyncpg (bourse.common.driven), against the real PostgreSQL: what
the block does commits together, or not at all; a session asked for inside joins the same
transaction; the connection goes back to the pool fit for the next transaction, or is
discarded if it broke."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from bourse.common.db import Database


@pytest.fixture
async def db(url: str) -> AsyncIterator[Database]:
    database = Database(url, pool_size=1, overflow=0)  # one connection: every test reuses it
    async with database.connection() as pg:
        await pg.execute("CREATE TABLE items (id int PRIMARY KEY, note text NOT NULL)")
    yield database
    await database.dispose()


async def notes(db: Database) -> list[str]:
    async with db.connection() as pg:
        return [row[0] for row in await pg.fetch("SELECT note FROM items ORDER BY id")]


async def test_the_block_commits_as_one_transaction(db: Database) -> None:
    async with db.driven() as transaction:
        pids = {await transaction.pg.fetchval("SELECT pg_backend_pid()")}
        await transaction.pg.execute("INSERT INTO items VALUES (1, 'driver')")
        session = transaction.session
        await session.execute(text("INSERT INTO items VALUES (2, 'session')"))
        pids.add(await session.scalar(text("SELECT pg_backend_pid()")))
        assert await transaction.pg.fetchval("SELECT count(*) FROM items") == 2
        async with db.connection() as other:  # nothing is visible outside before the commit
            assert await other.fetchval("SELECT count(*) FROM items") == 0
        assert len(pids) == 1  # one connection, one transaction
        assert transaction.pg.is_in_transaction()
    assert await notes(db) == ["driver", "session"]


@pytest.mark.parametrize("with_session", [False, True])
async def test_an_error_rolls_everything_back(db: Database, with_session: bool) -> None:
    with pytest.raises(RuntimeError, match="refused"):
        async with db.driven() as transaction:
            await transaction.pg.execute("INSERT INTO items VALUES (1, 'driver')")
            if with_session:
                await transaction.session.execute(text("INSERT INTO items VALUES (2, 's')"))
            raise RuntimeError("refused")
    assert await notes(db) == []
    await _pool_connection_is_clean(db)


async def test_a_session_that_ran_nothing_leaves_the_commit_to_the_driver(db: Database) -> None:
    async with db.driven() as transaction:
        assert transaction.session is transaction.session  # made once
        await transaction.pg.execute("INSERT INTO items VALUES (1, 'driver')")
    assert await notes(db) == ["driver"]
    await _pool_connection_is_clean(db)


async def test_a_failed_statement_rolls_back_and_keeps_the_connection(db: Database) -> None:
    async with db.driven() as transaction:
        before = await transaction.pg.fetchval("SELECT pg_backend_pid()")
    with pytest.raises(Exception, match="duplicate key"):
        async with db.driven() as transaction:
            await transaction.pg.execute("INSERT INTO items VALUES (1, 'a'), (1, 'b')")
    async with db.driven() as transaction:
        assert await transaction.pg.fetchval("SELECT pg_backend_pid()") == before
    await _pool_connection_is_clean(db)


async def test_a_connection_that_broke_is_discarded(db: Database) -> None:
    async with db.driven() as transaction:
        broken = await transaction.pg.fetchval("SELECT pg_backend_pid()")
    with pytest.raises(Exception):  # noqa: B017 - the driver's error for a lost connection
        async with db.driven() as transaction:
            await transaction.pg.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    async with db.driven() as transaction:
        assert await transaction.pg.fetchval("SELECT pg_backend_pid()") != broken
        await transaction.pg.execute("INSERT INTO items VALUES (1, 'after')")
    assert await notes(db) == ["after"]


async def test_run_driven_returns_what_the_work_returns(db: Database) -> None:
    async def work(transaction: object) -> int:
        return 7

    assert await db.run_driven(work) == 7


async def _pool_connection_is_clean(db: Database) -> None:
    """The pooled connection is idle, outside any transaction, for the next one."""
    raw = await db.engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None and not driver.is_in_transaction()
    finally:
        raw.close()
