"""Autogenerate an Alembic revision for a service against a throwaway database.

    uv run python scripts/new-migration.py <service> "<message>"
e.g. uv run python scripts/new-migration.py order "add fills index"
"""

import asyncio
import importlib
import sys
from pathlib import Path

from alembic import command

from bourse.common.migrations import alembic_config, upgrade
from bourse.testing.infra import ensure_services, temporary_database


async def main(service: str, message: str) -> None:
    ensure_services()
    module = importlib.import_module(f"bourse.{service}.main")
    migrations: Path = module.MIGRATIONS
    async with temporary_database(f"bourse_migration_{service}") as url:
        await asyncio.to_thread(upgrade, migrations, url)
        config = alembic_config(migrations, url)
        await asyncio.to_thread(command.revision, config, message=message, autogenerate=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
