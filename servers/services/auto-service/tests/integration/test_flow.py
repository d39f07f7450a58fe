"""auto-service through RabbitMQ: prices and order outcomes published to their exchanges
reach its queue (``auto.events``, with a symbol containing a dot), and what it stages
is published by the relay on bourse.auto: the alert, the orders it requests (routed to
order-service's binding, ``auto.order_requested``) and the run's outcome."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bourse.auto.config import Settings
from bourse.auto.db import instruments
from bourse.auto.main import create_app
from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.topology import AUTO
from bourse.messaging.broker import Broker
from bourse.messaging.wire import envelopes_of
from bourse.testing.app import running_app
from bourse.testing.auth import TestIssuer
from bourse.testing.polling import eventually

from auto_support import T0, ManualClock, instrument, order_changed, price

M1 = datetime(2026, 3, 2, 12, 1, tzinfo=UTC)
USER = uuid.uuid4()
ALERTS = "/api/v1/auto/alerts"
RECURRING = "/api/v1/auto/recurring-orders"


class Outbound:
    """Everything published on bourse.auto, with its routing key, in arrival order."""

    def __init__(self, queue: Any) -> None:
        self.queue = queue
        self.seen: list[tuple[str, Envelope]] = []

    async def wait_for(
        self, match: Callable[[str, Envelope], bool], timeout: float = 10.0
    ) -> Envelope:
        async with asyncio.timeout(timeout):
            while True:
                for key, envelope in self.seen:
                    if match(key, envelope):
                        return envelope
                message = await self.queue.get(no_ack=True, fail=False)
                if message is None:
                    await asyncio.sleep(0.02)
                else:
                    self.seen += [(message.routing_key, e) for e in envelopes_of(message)]


@pytest.fixture
async def broker(auto_vhost: str) -> AsyncIterator[Broker]:
    connection = Broker(auto_vhost, "auto-test")
    await connection.connect()
    yield connection
    await connection.close()


@pytest.fixture
async def outbound(broker: Broker) -> Outbound:
    """Bound before the app starts: OrderRequested is a command, it needs a queue."""
    channel = await broker.channel()
    queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
    await queue.bind(AUTO, routing_key="#")
    return Outbound(queue)


@pytest.fixture
async def flow(
    scheduled: Database, scheduled_settings: Settings, issuer: TestIssuer, outbound: Outbound
) -> AsyncIterator[tuple[ManualClock, httpx.AsyncClient]]:
    """The whole app (consumer, relay, scheduler) with a queue of its own (``flow.``)."""
    clock = ManualClock(T0)
    settings = scheduled_settings.model_copy(update={"queue_prefix": "flow."})
    async with running_app(create_app(settings, issuer.verifier(), clock=clock)) as http:
        yield clock, http


def new_symbol() -> str:
    return "Z" + uuid.uuid4().hex[:5].upper() + ".A"


async def announce(broker: Broker, db: Database, symbol: str) -> None:
    """``symbol`` listed the way stock-service lists it: instrument.changed.<SYMBOL>."""
    await broker.publish(instrument(symbol))

    async def known() -> bool:
        async with db.transaction() as session:
            found = await session.scalar(
                select(instruments.c.symbol).where(instruments.c.symbol == symbol)
            )
        return found is not None

    assert await eventually(known)


async def test_an_alert_fires_from_published_prices(
    flow: tuple[ManualClock, httpx.AsyncClient],
    issuer: TestIssuer,
    broker: Broker,
    outbound: Outbound,
    scheduled: Database,
) -> None:
    _, http = flow
    symbol = new_symbol()
    order = {"side": "buy", "notional": "500"}
    body = {"symbol": symbol, "condition": "crosses_above", "price": "100", "action": "order"}
    unknown = await http.post(ALERTS, json=body | {"order": order}, headers=issuer.headers(USER))
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_symbol")
    await announce(broker, scheduled, symbol)
    response = await http.post(ALERTS, json=body | {"order": order}, headers=issuer.headers(USER))
    assert response.status_code == 201, response.text
    alert = response.json()
    await broker.publish(price(symbol, "99", T0))
    await broker.publish(price(symbol, "100.5", T0 + timedelta(seconds=1)))
    fired = await outbound.wait_for(lambda key, _: key == f"alert.triggered.{symbol}")
    assert (fired.payload["alert_id"], fired.payload["last_price"]) == (alert["id"], "100.5")
    cid = "alert-" + uuid.UUID(alert["id"]).hex
    request = await outbound.wait_for(
        lambda key, e: key == "auto.order_requested" and e.payload["client_order_id"] == cid
    )
    assert (request.payload["notional"], request.payload["side"]) == ("500", "buy")


async def test_a_run_is_requested_and_its_outcome_announced(
    flow: tuple[ManualClock, httpx.AsyncClient],
    issuer: TestIssuer,
    broker: Broker,
    outbound: Outbound,
    scheduled: Database,
) -> None:
    clock, http = flow
    symbol = new_symbol()
    await announce(broker, scheduled, symbol)
    body = {"symbol": symbol, "side": "sell", "qty": "3", "schedule": {"cron": "* * * * *"}}
    created = await http.post(RECURRING, json=body, headers=issuer.headers(USER))
    assert created.status_code == 201, created.text
    clock.set(M1)
    run = await outbound.wait_for(
        lambda key, e: key == "auto.order_requested" and e.payload["symbol"] == symbol
    )
    cid = run.payload["client_order_id"]
    assert (run.payload["side"], run.payload["qty"]) == ("sell", "3") and cid.startswith("auto-")
    filled = order_changed(USER, cid, "filled", filled_qty="3", avg_price="100.5", symbol=symbol)
    await broker.publish(filled)
    finished = await outbound.wait_for(
        lambda key, e: key == "auto.run.succeeded" and e.payload["client_order_id"] == cid
    )
    assert finished.payload["recurring_order_id"] == created.json()["id"]
    assert finished.payload["filled_avg_price"] == "100.5"
