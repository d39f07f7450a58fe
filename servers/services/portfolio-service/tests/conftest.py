"""portfolio-service on a real, throwaway PostgreSQL database and RabbitMQ vhost.

* ``ledger``: a migrated database of its own (no app, no relay), for driving the event
  handlers directly and reading what they staged in the outbox;
* ``instance``: the whole app (API, WebSocket feed, consumer, relay, fan-out queue)
  under a real uvicorn server, tokens verified against an in-memory JWKS;
* ``publisher``: a broker connection to publish what other services would.
"""

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import text

from bourse.common.db import Database
from bourse.messaging.broker import Broker
from bourse.portfolio.config import Settings
from bourse.portfolio.main import MIGRATIONS, create_app
from bourse.testing.auth import TestIssuer
from bourse.testing.infra import ensure_services, migrated_database, migrated_url, temporary_vhost

from portfolio_support import Headers, Instance, serve


@pytest.fixture(scope="session")
def vhost() -> Iterator[str]:
    ensure_services()
    with temporary_vhost("bourse_portfolio_test") as url:
        yield url


@pytest.fixture(scope="session")
async def settings(vhost: str) -> AsyncIterator[Settings]:
    async with migrated_url("bourse_portfolio_test", MIGRATIONS) as url:
        # Slots far apart: the background sampler takes one sample at start-up, no more.
        yield Settings(database_url=url, amqp_url=vhost, equity_sample_interval_s=86_400)


@pytest.fixture(scope="session")
async def ledger_db() -> AsyncIterator[Database]:
    ensure_services()
    async with migrated_database("bourse_portfolio_ledger", MIGRATIONS, pool_size=5) as database:
        yield database


@pytest.fixture
async def ledger(ledger_db: Database) -> Database:
    """The handlers' database with an empty outbox."""
    async with ledger_db.transaction() as session:
        await session.execute(text("TRUNCATE outbox"))
    return ledger_db


@pytest.fixture(scope="session")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture(scope="session")
def headers_for(issuer: TestIssuer) -> Headers:
    return issuer.headers


@pytest.fixture(scope="session")
async def instance(settings: Settings, issuer: TestIssuer) -> AsyncIterator[Instance]:
    async with serve(create_app(settings, verifier=issuer.verifier())) as running:
        yield running


@pytest.fixture(scope="session")
async def client(instance: Instance) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=instance.http_url) as http:
        yield http


@pytest.fixture(scope="session")
async def publisher(vhost: str) -> AsyncIterator[Broker]:
    broker = Broker(vhost, "portfolio-test-publisher")
    await broker.connect()
    yield broker
    await broker.close()


@pytest.fixture
def symbol() -> str:
    """A fresh symbol (no other test holds it or has priced it)."""
    return "Z" + uuid.uuid4().hex[:7].upper()
