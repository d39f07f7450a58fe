"""Trailing stops through the real app, database and broker: placement and its 422s, the
engine command (ticks / bps), and the engine's "trailed" events moving stop_price and hwm.
Another user's trailing order is a 404."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
import pytest

from bourse.contracts.events import EngineEvent, ExecutionsReported, RiskAccepted
from bourse.contracts.ids import uuid7
from bourse.contracts.topology import EXCHANGE
from bourse.messaging.broker import Broker
from bourse.messaging.wire import envelopes_of
from bourse.testing.auth import TestIssuer
from bourse.testing.polling import eventually

from order_support import Json, engine_id

TRAILING: Json = {
    "symbol": "AAPL",
    "side": "sell",
    "type": "trailing_stop",
    "time_in_force": "gtc",
    "qty": "3",
    "trail_price": "1.50",
}


@pytest.fixture
async def commands(broker: Broker) -> AsyncIterator[aio_pika.abc.AbstractQueue]:
    channel = await broker.channel()
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(EXCHANGE, "command.#")
    yield queue
    await channel.close()


async def command_for(queue: aio_pika.abc.AbstractQueue, order_id: str) -> Json:
    async with asyncio.timeout(10):
        while True:
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            for envelope in envelopes_of(message):
                if envelope.payload.get("order_id") == order_id:
                    return envelope.payload


async def post(
    client: httpx.AsyncClient, issuer: TestIssuer, user: uuid.UUID, **body: Any
) -> httpx.Response:
    return await client.post("/api/v1/orders", json=TRAILING | body, headers=issuer.headers(user))


async def get(
    client: httpx.AsyncClient, issuer: TestIssuer, user: uuid.UUID, oid: str
) -> httpx.Response:
    return await client.get(f"/api/v1/orders/{oid}", headers=issuer.headers(user))


async def test_a_trailing_sell_goes_to_the_engine_in_ticks_and_follows_its_events(
    app_client: httpx.AsyncClient,
    issuer: TestIssuer,
    broker: Broker,
    commands: aio_pika.abc.AbstractQueue,
) -> None:
    user = uuid.uuid4()
    response = await post(app_client, issuer, user)
    assert response.status_code == 202, response.text
    order = response.json()
    assert (order["type"], order["trail_price"], order["trail_percent"]) == (
        "trailing_stop", "1.5", None,
    )  # fmt: skip
    assert (order["stop_price"], order["hwm"]) == (None, None)
    await broker.publish(RiskAccepted(order_id=order["id"], user_id=user))
    command = await command_for(commands, order["id"])
    assert {k: command[k] for k in ("order_type", "trail", "trail_bps", "qty", "budget")} == {
        "order_type": "trailing_stop", "trail": 150, "trail_bps": None, "qty": 3, "budget": None,
    }  # fmt: skip

    eid = await engine_id(app_client, order["id"])
    events = [
        EngineEvent(type="accepted", id=eid),
        EngineEvent(type="trailed", id=eid, stop_price=9850, water_mark=10000),
    ]
    await broker.publish(
        ExecutionsReported(symbol="AAPL", command_id=uuid7(), first_seq=1, events=events)
    )

    async def shows(stop: str, hwm: str) -> bool:
        body = (await get(app_client, issuer, user, order["id"])).json()
        return bool((body["status"], body["stop_price"], body["hwm"]) == ("new", stop, hwm))

    assert await eventually(lambda: shows("98.5", "100"))
    moved = EngineEvent(type="trailed", id=eid, stop_price=10350, water_mark=10500)
    await broker.publish(
        ExecutionsReported(symbol="AAPL", command_id=uuid7(), first_seq=3, events=[moved])
    )
    assert await eventually(lambda: shows("103.5", "105"))

    stranger = await get(app_client, issuer, uuid.uuid4(), order["id"])
    assert stranger.status_code == 404 and stranger.json()["code"] == "not_found"


async def test_a_trailing_buy_by_percent_carries_its_reservation_as_budget(
    app_client: httpx.AsyncClient,
    issuer: TestIssuer,
    broker: Broker,
    commands: aio_pika.abc.AbstractQueue,
) -> None:
    user = uuid.uuid4()
    body = {"side": "buy", "trail_price": None, "trail_percent": "2.5", "qty": "2"}
    order = (await post(app_client, issuer, user, **body)).json()
    assert order["trail_percent"] == "2.5"
    await broker.publish(RiskAccepted(order_id=order["id"], user_id=user))
    command = await command_for(commands, order["id"])
    # last 100.00: first stop 102.50, + the 5% collar = 107.63 (rounded up to the tick)
    assert (command["trail"], command["trail_bps"], command["budget"]) == (None, 250, 2 * 10763)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"trail_percent": "1"}, "trail_ambiguous"),
        ({"trail_price": None}, "trail_required"),
        ({"trail_price": "0"}, "invalid_trail"),
        ({"trail_price": "-1.00"}, "invalid_trail"),
        ({"trail_price": "0.015"}, "invalid_tick_size"),
        ({"trail_price": None, "trail_percent": "150"}, "invalid_trail"),
        ({"type": "limit", "limit_price": "100"}, "trail_not_allowed"),
        ({"time_in_force": "fok"}, "invalid_order"),
        ({"trail_price": "abc"}, "validation_error"),
    ],
)
async def test_invalid_trailing_orders_are_422_problems(
    app_client: httpx.AsyncClient, issuer: TestIssuer, body: Json, code: str
) -> None:
    response = await post(app_client, issuer, uuid.uuid4(), **body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
