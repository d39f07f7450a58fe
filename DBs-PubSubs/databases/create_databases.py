"""Create each service's PostgreSQL role and database (idempotent).

    uv run python DBs-PubSubs/databases/create_databases.py [NAME ...]

For every NAME (default: every database in bourse.stack's service table) a LOGIN role
NAME and a database NAME owned by it are created when absent; existing ones are left as
they are. Connects as the superuser: BOURSE_PG_ADMIN_DSN, default
postgresql://postgres@127.0.0.1:5432/postgres.
"""

import asyncio
import contextlib
import os
import re
import sys

import asyncpg

from bourse.stack.services import SERVICES

ADMIN_DSN = os.environ.get("BOURSE_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def default_names() -> list[str]:
    """Every database of the service table (this instance's names: BOURSE_STACK)."""
    return list(dict.fromkeys(s.database for s in SERVICES if s.database))


async def ensure(names: list[str]) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        for name in names:
            if not NAME.match(name):  # identifiers are interpolated below
                raise SystemExit(f"databases: invalid name {name!r}")
            role = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name)
            if not role:
                # a concurrent run may win the race: that is fine too
                with contextlib.suppress(asyncpg.exceptions.DuplicateObjectError):
                    await conn.execute(f'CREATE ROLE "{name}" LOGIN')
                    print(f"databases: role {name} created")
            db = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not db:  # CREATE DATABASE cannot run in a transaction: asyncpg runs it bare
                with contextlib.suppress(asyncpg.exceptions.DuplicateDatabaseError):
                    await conn.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')
                    print(f"databases: database {name} created (owner {name})")
        print(f"databases: ready: {', '.join(names)}")
    finally:
        await conn.close()


if __name__ == "__main__":
    asyncio.run(ensure(sys.argv[1:] or default_names()))
