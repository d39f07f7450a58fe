"""What the order saga tests share: a :class:`Tap` on an exchange (what the service
published), placing and reading orders through the API, and execution reports as the
exchange would publish them."""

import asyncio
import uuid
from typing import Any

import aio_pika
import httpx
from sqlalchemy import select

from bourse.contracts.events import EngineEvent, ExecutionsReported
from bourse.contracts.ids import uuid7
from bourse.messaging.broker import Broker
from bourse.messaging.wire import envelopes_of
from bourse.order.db import orders
from bourse.testing.auth import TestIssuer

Json = dict[str, Any]


class Tap:
    """A test queue bound to an exchange: what the service published."""

    def __init__(self, queue: aio_pika.abc.AbstractQueue) -> None:
        self.queue = queue

    async def drain(self, wait: float = 0.3) -> list[Json]:
        await asyncio.sleep(wait)
        out = []
        while (message := await self.queue.get(no_ack=True, fail=False)) is not None:
            out += [
                {"routing_key": message.routing_key, **envelope.model_dump(mode="json")}
                for envelope in envelopes_of(message)
            ]
        return out


async def place(
    client: httpx.AsyncClient, issuer: TestIssuer, user: uuid.UUID, **body: Any
) -> httpx.Response:
    order = {
        "symbol": "AAPL",
        "side": "buy",
        "type": "limit",
        "time_in_force": "gtc",
        "qty": "10",
        "limit_price": "101.25",
        **body,
    }
    return await client.post("/api/v1/orders", json=order, headers=issuer.headers(user))


async def get(
    client: httpx.AsyncClient, issuer: TestIssuer, user: uuid.UUID, order_id: str
) -> Json:
    response = await client.get(f"/api/v1/orders/{order_id}", headers=issuer.headers(user))
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def engine_id(client: httpx.AsyncClient, order_id: str) -> int:
    async with client.app.state.runtime.db.transaction() as session:  # type: ignore[attr-defined]
        return int(
            await session.scalar(
                select(orders.c.engine_id).where(orders.c.id == uuid.UUID(order_id))
            )
        )


async def status_is(
    client: httpx.AsyncClient, issuer: TestIssuer, user: uuid.UUID, order_id: str, status: str
) -> bool:
    return bool((await get(client, issuer, user, order_id))["status"] == status)


async def report(broker: Broker, symbol: str, *events: EngineEvent, seq: int = 1) -> None:
    await broker.publish(
        ExecutionsReported(symbol=symbol, command_id=uuid7(), first_seq=seq, events=list(events))
    )


def changes(events: list[Json]) -> list[Json]:
    """Only the order.changed events (the orders exchange also carries risk requests)."""
    return [e for e in events if e["type"] == "order.changed"]


async def received(tap: Tap, count: int, timeout: float = 10.0) -> list[Json]:
    """At least ``count`` messages from ``tap``."""
    got: list[Json] = []
    async with asyncio.timeout(timeout):
        while len(got) < count:
            got += await tap.drain(0.1)
    return got
