"""notifications-service on a real, throwaway PostgreSQL database and RabbitMQ vhost.

Two instances of the app (``app`` and ``app_b``) share that database and vhost, each
under a real uvicorn on its own local port, as a deployment with two replicas would:
they compete for the work queue, and a notification stored by one reaches WebSockets on
the other. Tokens are real, verified against an in-memory JWKS (TestIssuer)."""

import ipaddress
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from bourse.common.db import Database
from bourse.messaging.broker import Broker
from bourse.notifications.config import Settings
from bourse.notifications.main import MIGRATIONS, create_app
from bourse.testing.auth import TestIssuer
from bourse.testing.infra import ensure_services, migrated_url, temporary_vhost

from notifications_support import Headers, serve


@pytest.fixture(scope="session")
def vhost() -> Iterator[str]:
    ensure_services()
    with temporary_vhost("bourse_notifications_test") as url:
        yield url


@pytest.fixture(scope="session")
async def settings(vhost: str) -> AsyncIterator[Settings]:
    async with migrated_url("bourse_notifications_test", MIGRATIONS) as url:
        yield Settings(
            database_url=url,
            amqp_url=vhost,
            database_pool_size=5,
            webhook_max_attempts=3,
            webhook_backoff_base_ms=200,
            webhook_backoff_max_ms=2_000,
            webhook_timeout_seconds=2,
            webhook_poll_interval_ms=20,
            # the tests' receivers listen on 127.0.0.1; every other internal address is
            # refused as in production
            webhook_allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),),
        )


@pytest.fixture(scope="session")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture(scope="session")
def headers_for(issuer: TestIssuer) -> Headers:
    return issuer.headers


@pytest.fixture(scope="session")
def app(settings: Settings, issuer: TestIssuer) -> FastAPI:
    return create_app(settings, verifier=issuer.verifier())


@pytest.fixture(scope="session")
def app_b(settings: Settings, issuer: TestIssuer) -> FastAPI:
    return create_app(settings, verifier=issuer.verifier())


@pytest.fixture(scope="session")
async def address(app: FastAPI) -> AsyncIterator[str]:
    """host:port of instance A (its lifespan running)."""
    async with serve(app) as where:
        await app.state.feed.wait_connected()
        yield where


@pytest.fixture(scope="session")
async def address_b(app_b: FastAPI) -> AsyncIterator[str]:
    async with serve(app_b) as where:
        await app_b.state.feed.wait_connected()
        yield where


@pytest.fixture(scope="session")
async def client(address: str, address_b: str) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP to instance A; both instances are up (and consuming) from here on."""
    async with httpx.AsyncClient(base_url=f"http://{address}") as http:
        yield http


@pytest.fixture(scope="session")
async def client_b(address_b: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://{address_b}") as http:
        yield http


@pytest.fixture(scope="session")
def db(app: FastAPI, client: httpx.AsyncClient) -> Database:
    """Instance A's database."""
    database: Database = app.state.runtime.db
    return database


@pytest.fixture(scope="session")
def consumer(settings: Settings) -> str:
    """The inbox key of the service's consumer (its queue's name)."""
    return settings.queue_prefix + "notifications.events"


@pytest.fixture(scope="session")
async def publisher(vhost: str) -> AsyncIterator[Broker]:
    broker = Broker(vhost, "notifications-test-publisher")
    await broker.connect()
    yield broker
    await broker.close()


@pytest.fixture
def user() -> uuid.UUID:
    return uuid.uuid4()
