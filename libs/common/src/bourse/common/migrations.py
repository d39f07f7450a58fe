"""Alembic plumbing shared by every service: the body of each ``migrations/env.py``, and
running migrations from code (``make up``, tests)."""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def run_env(target_metadata: MetaData | list[MetaData]) -> None:
    """Call from a service's ``migrations/env.py``: migrates the URL in the Alembic config."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set (alembic_config() does it)"
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(main())


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """Migrate to ``revision``. Runs Alembic's own event loop: call from sync code or a
    worker thread (``asyncio.to_thread``)."""
    command.upgrade(alembic_config(migrations_dir, database_url), revision)
