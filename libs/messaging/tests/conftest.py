"""The messaging library against a real PostgreSQL database and RabbitMQ vhost."""

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import text

from bourse.common.db import Database
from bourse.messaging.broker import Broker
from bourse.messaging.tables import OUTBOX_NOTIFY_DDL, metadata
from bourse.testing.infra import ensure_services, temporary_database, temporary_vhost

from messaging_support import test_metadata


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    ensure_services()
    with temporary_vhost("bourse_msg_test") as url:
        yield url


@pytest.fixture(scope="session")
async def db() -> AsyncIterator[Database]:
    ensure_services()
    async with temporary_database("bourse_msg_test") as url:
        database = Database(url, pool_size=5)
        async with database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.run_sync(test_metadata.create_all)
            for statement in OUTBOX_NOTIFY_DDL:
                await conn.execute(text(statement))
        yield database
        await database.dispose()


@pytest.fixture
async def broker(amqp_url: str) -> AsyncIterator[Broker]:
    broker = Broker(amqp_url, "msg-test")
    await broker.connect()
    yield broker
    await broker.close()


@pytest.fixture(autouse=True)
async def clean_tables(request: pytest.FixtureRequest) -> None:
    """Every integration test starts from empty tables (unit tests need no database)."""
    if "integration" not in request.node.path.parts:
        return
    db: Database = request.getfixturevalue("db")
    async with db.transaction() as session:
        await session.execute(text("TRUNCATE outbox, inbox, effects, observed"))
