"""CPU of one database transaction from Python, by the way it is issued.

    uv run python -m bourse.bench.sql --transactions 3000

A transaction like a consumer's (BEGIN, an indexed SELECT ... FOR UPDATE of an account,
an UPDATE of it, COMMIT), repeated, timed by this process's own CPU (not the server's):

* through SQLAlchemy's AsyncSession, with the statement built per call as the services
  write it, and prebuilt once with bind parameters;
* through SQLAlchemy Core on an AsyncConnection;
* through a unit of work inside a session's transaction
  (``UnitOfWork(session)``: the statements on the session's asyncpg connection), and
  through the services' hot path, a unit of work on a transaction driven on asyncpg
  (:func:`bourse.messaging.uow.run_unit`);
* through asyncpg directly, on a pool.

Shows what the database layer costs per statement in the services' Python processes,
whatever the server does. Uses a scratch table in a temporary database (PostgreSQL must
run; `make bootstrap` first). Prints one JSON object.
"""

import argparse
import json
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg
import uvloop
from sqlalchemy import Column, MetaData, Numeric, Table, bindparam, lambda_stmt, select, update
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.bench.processes import own_cpu_seconds
from bourse.common.db import Database
from bourse.messaging.uow import UnitOfWork, run_unit
from bourse.testing.infra import ensure_services, temporary_database

metadata = MetaData()
accounts = Table(
    "bench_accounts",
    metadata,
    Column("user_id", UUID(as_uuid=True), primary_key=True),
    Column("cash", Numeric(20, 4), nullable=False),
)
LOCK = select(accounts.c.cash).where(accounts.c.user_id == bindparam("user")).with_for_update()
_LOCK_SQL = "SELECT cash FROM bench_accounts WHERE user_id = $1 FOR UPDATE"
_SAVE_SQL = "UPDATE bench_accounts SET cash = $2 WHERE user_id = $1"
SAVE = update(accounts).where(accounts.c.user_id == bindparam("user")).values(cash=bindparam("c"))


async def cpu_us(transaction: Callable[[], Awaitable[Any]], count: int) -> float:
    """Microseconds of this process's CPU per call, after a warm-up."""
    for _ in range(min(200, count)):
        await transaction()
    start = own_cpu_seconds()
    for _ in range(count):
        await transaction()
    return round((own_cpu_seconds() - start) / count * 1e6, 1)


async def measure(url: str, count: int) -> dict[str, float]:
    db = Database(url, pool_size=2)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    user = uuid.uuid4()
    async with db.transaction() as session:
        await session.execute(accounts.insert().values(user_id=user, cash=Decimal(100)))

    async def built_per_call(session: AsyncSession) -> None:
        lock = select(accounts.c.cash).where(accounts.c.user_id == user).with_for_update()
        cash = (await session.execute(lock)).scalar_one()
        await session.execute(update(accounts).where(accounts.c.user_id == user).values(cash=cash))

    async def prebuilt(session: AsyncSession) -> None:
        cash = (await session.execute(LOCK, {"user": user})).scalar_one()
        await session.execute(SAVE, {"user": user, "c": cash})

    async def lambdas(session: AsyncSession) -> None:
        lock = lambda_stmt(
            lambda: select(accounts.c.cash).where(accounts.c.user_id == user).with_for_update()
        )
        cash = (await session.execute(lock)).scalar_one()
        save = lambda_stmt(
            lambda: update(accounts).where(accounts.c.user_id == user).values(cash=cash)
        )
        await session.execute(save)

    async def core() -> None:
        async with db.engine.begin() as conn:
            cash = (await conn.execute(LOCK, {"user": user})).scalar_one()
            await conn.execute(SAVE, {"user": user, "c": cash})

    async def unit_of_work(uow: UnitOfWork) -> None:
        pg = await uow.pg()
        cash = await pg.fetchval(_LOCK_SQL, user)
        await pg.execute(_SAVE_SQL, user, cash)

    dsn = url.replace("postgresql+asyncpg", "postgresql")
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)

    async def raw() -> None:
        async with pool.acquire() as conn, conn.transaction():
            cash = await conn.fetchval(_LOCK_SQL, user)
            await conn.execute(_SAVE_SQL, user, cash)

    try:
        return {
            "session_statements_built_per_call": await cpu_us(
                lambda: db.run(built_per_call), count
            ),
            "session_statements_prebuilt": await cpu_us(lambda: db.run(prebuilt), count),
            "session_lambda_statements": await cpu_us(lambda: db.run(lambdas), count),
            "core_connection_prebuilt": await cpu_us(core, count),
            "unit_of_work_in_a_session": await cpu_us(
                lambda: db.run(lambda session: unit_of_work(UnitOfWork(session))), count
            ),
            "unit_of_work_driven": await cpu_us(lambda: run_unit(db, unit_of_work), count),
            "asyncpg_direct": await cpu_us(raw, count),
        }
    finally:
        await pool.close()
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transactions", type=int, default=3000)
    args = parser.parse_args()
    ensure_services()
    async with temporary_database("bourse_bench_sql") as url:
        result = await measure(url, args.transactions)
    print(json.dumps({"cpu_us_per_transaction_4_round_trips": result}))


if __name__ == "__main__":
    uvloop.run(main())
