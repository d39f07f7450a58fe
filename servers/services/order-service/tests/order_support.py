"""What the order saga tests share: a :class:`Tap` on an exchange (what the service
published), placing and reading orders through the API, and execution reports as the
exchange would publish them; for trade updates, order events as order-service makes them,
staging them as it does, and :func:`assert_trade_updates_follow`, the check that every
order event published has exactly its trade update."""

import asyncio
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aio_pika
import httpx
from sqlalchemy import select

from bourse.common.db import Database
from bourse.contracts import Envelope, payload_model
from bourse.contracts.events import (
    EngineEvent,
    ExecutionsReported,
    Fill,
    OrderCancelRequested,
    OrderChanged,
    OrderStatus,
    Payload,
)
from bourse.contracts.ids import uuid7
from bourse.messaging.broker import Broker
from bourse.messaging.outbox import stage
from bourse.messaging.wire import envelopes_of
from bourse.order.db import orders
from bourse.order.domain.trade_updates import (
    EVENT_OF_STATUS,
    LOG_ONLY_STATUSES,
    TradeUpdate,
    trade_update,
)
from bourse.order.handlers.trade_updates import TradeUpdatesLog
from bourse.order.snapshots import order_changed
from bourse.testing.auth import TestIssuer

Json = dict[str, Any]


class Tap:
    """A test queue bound to an exchange: what the service published."""

    def __init__(self, queue: aio_pika.abc.AbstractQueue) -> None:
        self.queue = queue

    async def drain(self, wait: float = 0.3) -> list[Json]:
        return [
            {"routing_key": key, **envelope.model_dump(mode="json")}
            for key, envelope in await self.envelopes(wait)
        ]

    async def envelopes(self, wait: float = 0.3) -> list[tuple[str, Envelope]]:
        """(routing key, envelope) of every event published so far, in order."""
        await asyncio.sleep(wait)
        out = []
        while (message := await self.queue.get(no_ack=True, fail=False)) is not None:
            out += [(str(message.routing_key), envelope) for envelope in envelopes_of(message)]
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


# -- trade updates ------------------------------------------------------------------------

CREATED_AT = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)


def order_event(
    user_id: uuid.UUID,
    status: OrderStatus,
    *,
    order_id: uuid.UUID | None = None,
    filled_qty: str = "0",
    avg: str | None = None,
    fill: tuple[str, str] | None = None,
) -> OrderChanged:
    """The event of a limit order of ``user_id`` (buy 10 AAPL at 101.25, day) reaching
    ``status``, made from its row as order-service makes it; ``fill``: (qty, price)."""
    filled = Decimal(filled_qty)
    row = {
        "id": order_id or uuid7(), "user_id": user_id, "client_order_id": "c-1",
        "symbol": "AAPL", "side": "buy", "type": "limit", "time_in_force": "day",
        "qty": Decimal(10), "notional": None, "limit_price": Decimal("101.25"),
        "filled_qty": filled, "filled_notional": filled * Decimal(avg or 0), "status": status,
        "reject_reason": None, "updated_at": datetime.now(UTC), "created_at": CREATED_AT,
    }  # fmt: skip
    made = None
    if fill is not None:
        qty, price = (Decimal(value) for value in fill)
        made = Fill(id=uuid7(), qty=qty, price=price, liquidity="taker", ts=datetime.now(UTC))
    return order_changed(row, made)


def cancel_event(user_id: uuid.UUID) -> OrderCancelRequested:
    """A cancel of a resting order of ``user_id`` accepted (it is pending_cancel)."""
    return OrderCancelRequested(order=order_event(user_id, "pending_cancel").order)


async def stage_all(db: Database, payloads: Sequence[Payload]) -> None:
    """Stage ``payloads`` in one transaction, as order-service's handlers do: its trade
    updates are written with them (when ``db`` has order-service's staging observer)."""
    async with db.transaction() as session:
        await stage(session, *payloads)


_ORDER_EVENTS = (OrderChanged.TYPE, OrderCancelRequested.TYPE)


class PublishingLog(TradeUpdatesLog):
    """The service's log, but every order event is published too (even those no queue
    binds), so that a test can check the log against the outbox event for event."""

    def publishes(self, payload: Payload) -> bool:
        return True


def _published_update(message: Json) -> bool:
    """Whether a stored update is of an event that order-service publishes (not log-only:
    the log-only statuses', and a pending_cancel without a fill)."""
    event = message["event"]
    return event not in {EVENT_OF_STATUS[status] for status in LOG_ONLY_STATUSES} and not (
        event == "pending_cancel" and "price" not in message
    )


async def assert_trade_updates_follow(
    db: Database,
    events: Sequence[Envelope],
    *,
    in_user_order: bool = True,
    log_only_unpublished: bool = False,
) -> None:
    """Every order event in ``events`` (as published, in publishing order) has exactly one
    trade update: its user's next seq, and byte for byte the message that trade_update()
    makes of the event as it came off the wire (what notifications-service stored and
    sent from its queue). With ``in_user_order``, each user's seqs follow the events'
    order; without it, each order's events' (transactions that commit concurrently, on
    different orders of one user, are numbered in commit order). With
    ``log_only_unpublished`` (the service's own log), ``events`` lack the log-only ones:
    the other updates are compared, and every user's seqs still run 1..n."""
    expected: defaultdict[Hashable, list[TradeUpdate]] = defaultdict(list)
    totals: Counter[uuid.UUID] = Counter()
    for envelope in events:
        if envelope.type in _ORDER_EVENTS:
            payload = payload_model(envelope.type).model_validate(envelope.payload)
            assert isinstance(payload, OrderChanged | OrderCancelRequested)
            update = trade_update(payload)
            expected[_key(update.user_id, update.message, in_user_order)].append(update)
            totals[update.user_id] += 1
    async with db.connection() as pg:
        counters = dict(await pg.fetch("SELECT user_id, last_seq FROM trade_update_counters"))
        rows = await pg.fetch("SELECT user_id, seq, message::text FROM trade_updates")
    seqs: defaultdict[uuid.UUID, list[int]] = defaultdict(list)
    for user_id, seq, _ in sorted(rows):
        seqs[user_id].append(seq)
    assert seqs == {user: list(range(1, last + 1)) for user, last in counters.items()}
    if log_only_unpublished:
        rows = [row for row in rows if _published_update(json.loads(row[2]))]
    else:
        assert counters == dict(totals)
    stored: defaultdict[Hashable, list[tuple[int, str]]] = defaultdict(list)
    for user_id, seq, message in sorted(rows):
        stored[_key(user_id, json.loads(message), in_user_order)].append((seq, message))
    assert stored.keys() == expected.keys()
    for key, updates in expected.items():
        made = [u.numbered(seq) for u, (seq, _) in zip(updates, stored[key], strict=True)]
        assert [message for _, message in stored[key]] == [json.dumps(m) for m in made]


def _key(user_id: uuid.UUID, message: Json, in_user_order: bool) -> Hashable:
    return user_id if in_user_order else (user_id, message["order"]["id"])


async def trade_updates_of(client: httpx.AsyncClient, user: uuid.UUID) -> list[Json]:
    """The user's trade updates as stored (the messages of /ws/trade-updates), by seq."""
    db: Database = client.app.state.runtime.db  # type: ignore[attr-defined]
    async with db.connection() as pg:
        rows = await pg.fetch(
            "SELECT message::text FROM trade_updates WHERE user_id = $1 ORDER BY seq", user
        )
    return [json.loads(row[0]) for row in rows]
