"""auto-service on a real, throwaway PostgreSQL database and RabbitMQ vhost, with real
(test-issued) access tokens and a hand-moved clock.

* ``client``: the API of an app with no background scheduler and no relay (staged events
  stay in the outbox to be read), on its own database;
* ``scheduled``: a second database for scheduler tests, emptied before each test, and
  ``start_app`` to run apps on it (several at once, or one after another: a restart);
* each app has its own queue prefix, so a message published in the test vhost reaches
  the app a test means it for."""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bourse.auto.config import Settings
from bourse.auto.main import MIGRATIONS, create_app
from bourse.common.db import Database
from bourse.testing.app import running_app
from bourse.testing.auth import TestIssuer
from bourse.testing.infra import ensure_services, migrated_url, temporary_vhost

from auto_support import T0, Headers, ManualClock, list_instruments, truncate

StartApp = Callable[..., AbstractAsyncContextManager[FastAPI]]
# The instruments the tests trade (BULK trades in lots of 10); "NOPE" is not listed.
LISTED = ("ACME", "BRK.B", "AAPL", "MSFT", "HELD", "OTHER")
NOWHERE = "http://127.0.0.1:9"  # no stock-service: instruments come from the tests


@pytest.fixture(scope="session")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture(scope="session")
def headers_for(issuer: TestIssuer) -> Headers:
    return issuer.headers


@pytest.fixture(scope="session")
def auto_vhost() -> Iterator[str]:
    ensure_services()
    with temporary_vhost("bourse_auto_test") as url:
        yield url


@pytest.fixture(scope="session")
async def api_settings(auto_vhost: str) -> AsyncIterator[Settings]:
    async with migrated_url("bourse_auto_test", MIGRATIONS) as url:
        yield Settings(
            database_url=url, amqp_url=auto_vhost, queue_prefix="api.", stock_url=NOWHERE
        )


@pytest.fixture(scope="session")
def session_clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def clock(session_clock: ManualClock) -> ManualClock:
    """The API app's clock, back at T0 for every test."""
    session_clock.set(T0)
    return session_clock


@pytest.fixture(scope="session")
async def api_app(
    api_settings: Settings, issuer: TestIssuer, session_clock: ManualClock
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(
        api_settings, issuer.verifier(), clock=session_clock, relay=False, scheduler=False
    )
    async with running_app(app) as http:
        await list_instruments(app.state.runtime.db, *LISTED)
        await list_instruments(app.state.runtime.db, "BULK", lot_size="10")
        yield app, http


@pytest.fixture
def client(api_app: tuple[FastAPI, httpx.AsyncClient], clock: ManualClock) -> httpx.AsyncClient:
    return api_app[1]


@pytest.fixture
def db(api_app: tuple[FastAPI, httpx.AsyncClient]) -> Database:
    """The API app's database."""
    database: Database = api_app[0].state.runtime.db
    return database


@pytest.fixture(scope="session")
async def scheduled_settings(auto_vhost: str) -> AsyncIterator[Settings]:
    async with migrated_url("bourse_auto_sched", MIGRATIONS) as url:
        yield Settings(
            database_url=url,
            amqp_url=auto_vhost,
            queue_prefix="sched.",
            scheduler_interval_ms=20,
            database_pool_size=4,
            stock_url=NOWHERE,
        )


@pytest.fixture(scope="session")
async def scheduled_db(scheduled_settings: Settings) -> AsyncIterator[Database]:
    database = Database(scheduled_settings.database_url, pool_size=4)
    await list_instruments(database, *LISTED)  # not truncated between tests
    yield database
    await database.dispose()


@pytest.fixture
async def scheduled(scheduled_db: Database) -> Database:
    """The scheduler tests' database, empty."""
    await truncate(scheduled_db)
    return scheduled_db


@pytest.fixture
def start_app(scheduled_settings: Settings, issuer: TestIssuer) -> StartApp:
    """Runs an app on the scheduler tests' database: ``async with start_app(clock) as
    app`` (``app.state.http`` is its client); leaving the block stops it."""

    @asynccontextmanager
    async def start(clock: ManualClock, **options: Any) -> AsyncIterator[FastAPI]:
        options.setdefault("relay", False)
        app = create_app(scheduled_settings, issuer.verifier(), clock=clock, **options)
        async with running_app(app) as http:
            app.state.http = http
            yield app

    return start
