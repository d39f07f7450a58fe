"""order-service on a real, throwaway PostgreSQL database and RabbitMQ vhost, with real
(test-issued) access tokens."""

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import httpx
import pytest

from bourse.contracts.events import InstrumentChanged
from bourse.contracts.topology import EXCHANGE, ORDERS
from bourse.messaging.broker import Broker
from bourse.order.config import Settings
from bourse.order.handlers.events import on_instrument_changed
from bourse.order.main import MIGRATIONS, create_app
from bourse.testing.app import running_app
from bourse.testing.auth import TestIssuer
from bourse.testing.infra import ensure_services, migrated_url, temporary_vhost

from order_support import Tap


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
async def app_client(
    order_settings: Settings, issuer: TestIssuer
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
