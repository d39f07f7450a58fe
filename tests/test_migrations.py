"""Every service's migrations build exactly the schema its tables declare: upgrade a fresh
database to head, then Alembic's autogenerate must find nothing left to do; and downgrade
to base leaves an empty schema."""

import asyncio
import importlib
from pathlib import Path

import asyncpg
import pytest
from alembic import command

from bourse.common.migrations import alembic_config, upgrade
from bourse.testing.infra import ensure_services, temporary_database

SERVICES = ["user", "trader", "order", "stock", "portfolio", "auto", "notifications"]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_models_and_downgrade_cleanly(service: str) -> None:
    ensure_services()
    migrations: Path = importlib.import_module(f"bourse.{service}.main").MIGRATIONS
    async with temporary_database(f"bourse_migcheck_{service}") as url:
        await asyncio.to_thread(upgrade, migrations, url)
        config = alembic_config(migrations, url)
        await asyncio.to_thread(command.check, config)  # raises if the models drifted
        await asyncio.to_thread(command.downgrade, config, "base")
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            tables = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename <> 'alembic_version'"
            )
        finally:
            await conn.close()
        assert tables == []
