"""trader-service on a real, throwaway PostgreSQL database and RabbitMQ vhost.

* ``ledger``: a migrated database of its own (no app, no relay), for driving the event
  handlers directly and reading what they staged in the outbox;
* ``client``: the whole app (API, consumer, relay) with tokens verified against an
  in-memory JWKS; ``outbound`` captures what it publishes on bourse.trader."""

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from bourse.auth.signing import SigningKey, issue_access_token, jwks
from bourse.auth.verify import TokenVerifier
from bourse.common.db import Database
from bourse.contracts.topology import TRADER
from bourse.messaging.broker import Broker
from bourse.testing.app import running_app
from bourse.testing.infra import ensure_services, migrated_database, migrated_url, temporary_vhost
from bourse.trader.config import Settings
from bourse.trader.main import MIGRATIONS, create_app

from trader_support import Headers, Outbound


@pytest.fixture(scope="session")
def trader_vhost() -> Iterator[str]:
    ensure_services()
    with temporary_vhost("bourse_trader_test") as url:
        yield url


@pytest.fixture(scope="session")
async def trader_settings(trader_vhost: str) -> AsyncIterator[Settings]:
    async with migrated_url("bourse_trader_test", MIGRATIONS) as url:
        yield Settings(database_url=url, amqp_url=trader_vhost)


@pytest.fixture(scope="session")
async def ledger_db() -> AsyncIterator[Database]:
    ensure_services()
    async with migrated_database("bourse_trader_ledger", MIGRATIONS, pool_size=5) as database:
        yield database


@pytest.fixture
async def ledger(ledger_db: Database) -> Database:
    """The handlers' database with an empty outbox."""
    async with ledger_db.transaction() as session:
        await session.execute(text("TRUNCATE outbox"))
    return ledger_db


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def headers_for(signing_key: SigningKey, trader_settings: Settings) -> Headers:
    def headers(user_id: uuid.UUID) -> dict[str, str]:
        token = issue_access_token(
            signing_key,
            subject=str(user_id),
            issuer=trader_settings.jwt_issuer,
            audience=trader_settings.jwt_audience,
            ttl_seconds=300,
        )
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture(scope="session")
async def outbound(trader_vhost: str) -> AsyncIterator[Outbound]:
    """Bound before the app starts: with nothing bound, its relay could not publish."""
    broker = Broker(trader_vhost, "trader-test")
    await broker.connect()
    channel = await broker.channel()
    queue = await channel.declare_queue("test.trader.out", durable=False, exclusive=True)
    await queue.bind(TRADER, routing_key="#")
    yield Outbound(queue)
    await broker.close()


@pytest.fixture(scope="session")
async def app(trader_settings: Settings, signing_key: SigningKey, outbound: Outbound) -> FastAPI:
    async def in_memory_jwks() -> dict[str, Any]:
        return jwks([signing_key])

    verifier = TokenVerifier(
        in_memory_jwks, issuer=trader_settings.jwt_issuer, audience=trader_settings.jwt_audience
    )
    return create_app(trader_settings, verifier=verifier)


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(app) as http:
        yield http


@pytest.fixture
def app_db(app: FastAPI, client: httpx.AsyncClient) -> Database:
    """The running app's database."""
    db: Database = app.state.runtime.db
    return db


@pytest.fixture
async def publisher(trader_vhost: str) -> AsyncIterator[Broker]:
    broker = Broker(trader_vhost, "trader-test-publisher")
    await broker.connect()
    yield broker
    await broker.close()
