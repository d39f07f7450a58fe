"""stock-service on a real, throwaway PostgreSQL database and RabbitMQ vhost, with an
in-memory JWKS for admin tokens. The outbox relay is off: tests read staged events from
the outbox table."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bourse.auth.signing import SigningKey, issue_access_token, jwks
from bourse.auth.verify import TokenVerifier
from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.messaging.tables import outbox
from bourse.stock.config import Settings
from bourse.stock.handlers import http as handlers
from bourse.stock.main import MIGRATIONS, create_app
from bourse.testing.app import running_app
from bourse.testing.infra import ensure_services, migrated_url, temporary_vhost

Headers = dict[str, str]
# Long enough that the background flush never runs during a test: throttle behaviour is
# tested through the handlers with an explicit clock.
THROTTLE_MS = 3_600_000


@pytest.fixture(scope="session")
def stock_vhost() -> Iterator[str]:
    ensure_services()
    with temporary_vhost("bourse_stock_test") as url:
        yield url


@pytest.fixture(scope="session")
async def stock_settings(stock_vhost: str) -> AsyncIterator[Settings]:
    async with migrated_url("bourse_stock_test", MIGRATIONS) as url:
        yield Settings(
            database_url=url, amqp_url=stock_vhost, price_publish_interval_ms=THROTTLE_MS
        )


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def app(stock_settings: Settings, signing_key: SigningKey) -> FastAPI:
    async def keys() -> dict[str, Any]:
        return jwks([signing_key])

    verifier = TokenVerifier(
        keys, issuer=stock_settings.jwt_issuer, audience=stock_settings.jwt_audience
    )
    return create_app(stock_settings, verifier=verifier, relay=False)


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(app) as http:
        yield http


@pytest.fixture(scope="session")
def db(app: FastAPI, client: httpx.AsyncClient) -> Database:
    database: Database = app.state.runtime.db
    return database


def bearer(settings: Settings, key: SigningKey, roles: list[str]) -> Headers:
    token = issue_access_token(
        key,
        subject=str(uuid.uuid4()),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_seconds=300,
        roles=roles,
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def admin_headers(stock_settings: Settings, signing_key: SigningKey) -> Headers:
    return bearer(stock_settings, signing_key, ["admin"])


@pytest.fixture(scope="session")
def user_headers(stock_settings: Settings, signing_key: SigningKey) -> Headers:
    return bearer(stock_settings, signing_key, [])


def new_symbol() -> str:
    return "Z" + uuid.uuid4().hex[:7].upper()


@pytest.fixture
def symbols() -> Callable[[], str]:
    """Makes fresh, unused symbols."""
    return new_symbol


@pytest.fixture
def instrument(db: Database) -> Callable[[], Awaitable[str]]:
    """Creates a fresh instrument (tick 0.01, lot 1) and returns its symbol."""

    async def create() -> str:
        new = handlers.NewInstrument(new_symbol(), "Test Corp.", Decimal("0.01"), Decimal("1"))
        await db.run(lambda session: handlers.create_instrument(session, new))
        return new.symbol

    return create


@pytest.fixture
def staged(db: Database) -> Callable[[str], Awaitable[list[Envelope]]]:
    """The events staged in the outbox with a routing key, oldest first."""

    async def read(routing_key: str) -> list[Envelope]:
        async with db.transaction() as session:
            bodies = await session.scalars(
                select(outbox.c.body)
                .where(outbox.c.routing_key == routing_key)
                .order_by(outbox.c.id)
            )
            return [Envelope.from_bytes(body) for body in bodies]

    return read
