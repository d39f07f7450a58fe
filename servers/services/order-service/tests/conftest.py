"""order-service on a real, throwaway PostgreSQL database and RabbitMQ vhost, with real
(test-issued) access tokens. Every order event the suite's instances publish must have
exactly its trade update (checked when the session ends: :func:`published_orders`)."""

import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import text

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import InstrumentChanged
from bourse.contracts.topology import EXCHANGE, ORDERS
from bourse.messaging.broker import Broker
from bourse.messaging.staging import observe_staging
from bourse.order.config import Settings
from bourse.order.handlers.events import on_instrument_changed
from bourse.order.main import MIGRATIONS, create_app
from bourse.testing.app import running_app
from bourse.testing.auth import TestIssuer
from bourse.testing.infra import ensure_services, migrated_database, migrated_url, temporary_vhost

from order_support import PublishingLog, Tap, assert_trade_updates_follow


@pytest.fixture(scope="session")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture(scope="session")
def order_vhost() -> Iterator[str]:
    ensure_services()
    with temporary_vhost("bourse_order_test") as url:
        yield url


@pytest.fixture(scope="session")
async def order_settings(order_vhost: str) -> AsyncIterator[Settings]:
    async with migrated_url("bourse_order_test", MIGRATIONS) as url:
        yield Settings(
            database_url=url,
            amqp_url=order_vhost,
            stock_url="http://127.0.0.1:9",
            session_closer=False,  # tests close sessions on their own clock
        )


@pytest.fixture(scope="session")
async def published_orders(broker: Broker, order_settings: Settings) -> AsyncIterator[Tap]:
    """Every order event published on the tests' vhost, from before the first instance
    starts. When the session ends (every instance stopped), each of them, and each still
    in the outbox, must have exactly its trade update, whatever path staged it."""
    channel = await broker.channel()
    # Durable, and named: the check runs when the whole test session ends, after other
    # members' tests may have restarted the broker, which drops an exclusive queue and
    # what it held (the vhost, and the queue with it, is deleted at the end).
    name = f"test.published_orders.{uuid.uuid4().hex[:8]}"
    queue = await channel.declare_queue(name, durable=True)
    await queue.bind(ORDERS, "order.#")
    tap = Tap(queue)
    yield tap
    events = [envelope for _, envelope in await tap.envelopes()]
    await channel.close()
    db = Database(order_settings.database_url, pool_size=1)
    try:
        async with db.transaction() as session:
            left = await session.scalars(text("SELECT body FROM outbox ORDER BY id"))
            events += [Envelope.from_bytes(body) for body in left]
        await assert_trade_updates_follow(
            db, events, in_user_order=False, log_only_unpublished=True
        )
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
async def app_client(
    order_settings: Settings, issuer: TestIssuer, published_orders: Tap
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(order_settings, verifier=issuer.verifier())
    async with running_app(app) as client:
        runtime = app.state.runtime
        async with runtime.db.transaction() as session:
            for symbol, tick, lot, last in (
                ("AAPL", "0.01", "1", "100"),
                ("MSFT", "0.05", "10", None),
            ):
                await on_instrument_changed(
                    session,
                    InstrumentChanged(
                        symbol=symbol,
                        name=symbol,
                        tick_size=Decimal(tick),
                        lot_size=Decimal(lot),
                        status="trading",
                        last_price=Decimal(last) if last else None,
                        maker_fee_bps=0,  # amounts here are checked to the cent; the
                        taker_fee_bps=0,  # fee rules have tests of their own
                    ),
                )
        client.app = app
        yield client
        await runtime.outbox.drain()


@pytest.fixture(scope="session")
async def broker(order_vhost: str) -> AsyncIterator[Broker]:
    broker = Broker(order_vhost, "order-test")
    await broker.connect()
    yield broker
    await broker.close()


@pytest.fixture
async def taps(broker: Broker) -> AsyncIterator[dict[str, Tap]]:
    channel = await broker.channel()
    out = {}
    for name, exchange, key in (("commands", EXCHANGE, "command.#"), ("orders", ORDERS, "order.#")):
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, key)
        out[name] = Tap(queue)
    yield out
    await channel.close()


@pytest.fixture(scope="session")
async def log_db() -> AsyncIterator[Database]:
    """A database of its own whose transactions write the trade updates of the order
    events they stage, as the service's do (no instance runs on it)."""
    async with migrated_database("bourse_order_trade_updates", MIGRATIONS) as database:
        observe_staging(database, PublishingLog())
        yield database
