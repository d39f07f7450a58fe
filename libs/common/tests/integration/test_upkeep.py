"""The service's own table upkeep (bourse.common.upkeep) on a server with autovacuum off:
a prepared statement whose plan was made on a nearly empty table keeps scanning the whole
table as it grows, until the upkeep analyzes it; dead rows past autovacuum's threshold
are vacuumed; and of two instances, one does the work."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from bourse.common.db import Database, driver_dsn
from bourse.common.upkeep import AS_GENTLE_AS_AUTOVACUUM, UPKEEP_LOCK_KEY, Due, TableUpkeep
from bourse.testing.polling import eventually

ROWS = 5_000
LOOKUP = "SELECT * FROM items WHERE id = ANY($1::int[])"


@pytest.fixture
async def db(url: str) -> AsyncIterator[Database]:
    database = Database(url, pool_size=2)
    # Rows estimated as wide as orders' are: on a table never analyzed the planner assumes
    # 10 pages, which hold few such rows, so a scan costs less than the index there.
    async with database.connection() as pg:
        await pg.execute(
            "CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL, note varchar(2000))"
        )
    yield database
    await database.dispose()


@pytest.fixture
async def session(url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection that keeps its prepared statements' generic plans, as the hot path's
    connections do after their first executions."""
    pg = await asyncpg.connect(driver_dsn(url))
    await pg.execute("SET plan_cache_mode = force_generic_plan")
    await pg.execute(f"PREPARE lookup(int[]) AS {LOOKUP}")
    yield pg
    await pg.close()


async def plan_of_lookup(pg: asyncpg.Connection) -> str:
    rows = await pg.fetch("EXPLAIN EXECUTE lookup('{1,2}')")
    return "\n".join(row[0] for row in rows)


async def fill(db: Database, rows: int) -> None:
    async with db.connection() as pg:
        await pg.execute("INSERT INTO items SELECT n, 0 FROM generate_series(1, $1) n", rows)


def done_on_items(done: list[Due]) -> Due | None:
    return next((d for d in done if d.table == "public.items"), None)


async def test_a_plan_made_on_an_empty_table_uses_the_index_once_the_table_is_analyzed(
    db: Database, session: asyncpg.Connection
) -> None:
    assert "Seq Scan on items" in await plan_of_lookup(session)
    await fill(db, ROWS)
    assert "Seq Scan on items" in await plan_of_lookup(session)  # kept as the table grew

    upkeep = TableUpkeep(db)
    done = await eventually(lambda: _analyzed_items(upkeep))  # statistics arrive within 1 s
    assert done.analyze and not done.vacuum
    assert "Index" in await plan_of_lookup(session)
    assert done_on_items(await upkeep.once()) is None  # nothing changed since: nothing due


async def _analyzed_items(upkeep: TableUpkeep) -> Due | None:
    return done_on_items(await upkeep.once())


async def test_dead_rows_past_the_threshold_are_vacuumed(db: Database) -> None:
    await fill(db, ROWS)
    upkeep = TableUpkeep(db)
    await eventually(lambda: _analyzed_items(upkeep))  # reltuples known: 5,000
    async with db.connection() as pg:
        await pg.execute("UPDATE items SET qty = 1 WHERE id <= 500")  # under both rules
        await pg.execute("SELECT pg_stat_force_next_flush()")
    assert done_on_items(await upkeep.once()) is None
    async with db.connection() as pg:
        await pg.execute("UPDATE items SET qty = 2")  # 5,000 more dead rows: both due

    done = await eventually(lambda: _analyzed_items(upkeep))
    assert done.vacuum and done.analyze
    assert await _dead_rows(db) == 0


async def _dead_rows(db: Database) -> int:
    async with db.connection() as pg:
        query = "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'items'"
        return int(await pg.fetchval(query))


async def test_while_another_instance_holds_the_upkeep_this_one_does_nothing(
    db: Database, url: str
) -> None:
    await fill(db, ROWS)
    other = await asyncpg.connect(driver_dsn(url))
    try:
        assert await other.fetchval("SELECT pg_try_advisory_lock($1)", UPKEEP_LOCK_KEY)
        assert await TableUpkeep(db).once() == []
        await other.execute("SELECT pg_advisory_unlock($1)", UPKEEP_LOCK_KEY)
        assert await eventually(lambda: _analyzed_items(TableUpkeep(db)))
    finally:
        await other.close()


async def test_it_vacuums_as_slowly_as_autovacuum_and_gives_the_connection_back_unthrottled(
    url: str,
) -> None:
    db = Database(url, pool_size=1, overflow=0)  # one connection: the upkeep's is read back
    try:
        async with db.connection() as pg:
            before = await pg.fetchval("SHOW vacuum_cost_delay")
            autovacuum = await pg.fetchval("SHOW autovacuum_vacuum_cost_delay")
            await pg.execute(AS_GENTLE_AS_AUTOVACUUM)
            if autovacuum != "-1":
                assert await pg.fetchval("SHOW vacuum_cost_delay") == autovacuum
            await pg.execute("RESET vacuum_cost_delay")
            await pg.execute("CREATE TABLE items (id int PRIMARY KEY)")
            await pg.execute("INSERT INTO items SELECT generate_series(1, 1000)")
        upkeep = TableUpkeep(db)
        await eventually(lambda: _analyzed_items(upkeep))
        async with db.connection() as pg:
            assert await pg.fetchval("SHOW vacuum_cost_delay") == before
    finally:
        await db.dispose()


async def test_it_runs_only_where_the_server_has_autovacuum_off(db: Database) -> None:
    async with db.connection() as pg:
        setting = await pg.fetchval("SHOW autovacuum")
    assert await TableUpkeep(db).autovacuum_is_off() == (setting == "off")
