"""A new exchange journal (epoch) against a database that holds an older journal's
history: its reports, numbered from seq 1 again, are applied (not dropped as
redeliveries); the orders that were on the lost book end canceled with the reason
exchange_reset, their events published; orders the exchange never acknowledged wait for
the new journal; a late report from the retired journal changes nothing."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
import pytest
from sqlalchemy import select

from bourse.contracts.events import (
    EngineEvent,
    ExchangeStarted,
    ExecutionsReported,
    RiskAccepted,
    trade_key,
)
from bourse.contracts.ids import uuid7
from bourse.contracts.topology import EXCHANGE, ORDERS
from bourse.messaging.broker import Broker
from bourse.messaging.outbox import envelope_for
from bourse.messaging.wire import envelopes_of
from bourse.order.db import exchange_epochs, fills, orders
from bourse.testing.auth import TestIssuer
from bourse.testing.polling import eventually

Json = dict[str, Any]
NAMESPACE = uuid.UUID("6b1f2d2e-5c1a-4f0e-9d7e-2b8f3c4a5e61")  # the exchange's


class Journal:
    """One exchange journal of shard 0 as order-service sees it: reports whose message
    ids are derived from (epoch, seq) like the exchange's, so two journals reuse seqs."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.epoch = uuid7()
        self.seq = 0  # the journal's entries
        self.book_seq = 0  # AAPL's book events

    async def start(self) -> None:
        payload = ExchangeStarted(shard=0, shards=1, epoch=self.epoch, seq=self.seq)
        await self.publish(payload, "started")

    async def report(self, *events: EngineEvent) -> None:
        self.seq += 1
        payload = ExecutionsReported(
            symbol="AAPL",
            command_id=uuid7(),
            first_seq=self.book_seq + 1,
            events=list(events),
            epoch=self.epoch,
            shard=0,
        )
        self.book_seq += len(events)
        await self.publish(payload, "executions")

    async def publish(self, payload: ExchangeStarted | ExecutionsReported, kind: str) -> None:
        mid = uuid.uuid5(NAMESPACE, f"{self.epoch}:0:{self.seq}:{kind}")
        envelope = envelope_for(payload).model_copy(update={"message_id": mid})
        await self.broker.publish(payload, envelope)


@pytest.fixture
async def order_events(broker: Broker) -> AsyncIterator[aio_pika.abc.AbstractQueue]:
    channel = await broker.channel()
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(ORDERS, "order.#")
    commands = await channel.declare_queue(exclusive=True, auto_delete=True)
    await commands.bind(EXCHANGE, "command.#")  # so the relay can route them
    yield queue
    await channel.close()


async def drain(queue: aio_pika.abc.AbstractQueue, wait: float = 0.3) -> list[Json]:
    await asyncio.sleep(wait)
    out = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        out += [
            {"routing_key": message.routing_key, **envelope.model_dump(mode="json")}
            for envelope in envelopes_of(message)
        ]
    return out


async def row(client: httpx.AsyncClient, order_id: str) -> Any:
    async with client.app.state.runtime.db.transaction() as session:  # type: ignore[attr-defined]
        return (
            await session.execute(select(orders).where(orders.c.id == uuid.UUID(order_id)))
        ).one()


async def sent(
    client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker, user: uuid.UUID, **body: Any
) -> tuple[str, int]:
    """An order accepted by risk and sent to the exchange: (its id, its engine id)."""
    order = {
        "symbol": "AAPL",
        "side": "buy",
        "type": "limit",
        "time_in_force": "gtc",
        "qty": "10",
        "limit_price": "100.00",
        **body,
    }
    response = await client.post("/api/v1/orders", json=order, headers=issuer.headers(user))
    assert response.status_code == 202, response.text
    order_id = response.json()["id"]
    await broker.publish(RiskAccepted(order_id=order_id, user_id=user))

    async def on_its_way() -> bool:
        return bool((await row(client, order_id)).sent_to_exchange)

    await eventually(on_its_way)
    return order_id, (await row(client, order_id)).engine_id


async def status_of(client: httpx.AsyncClient, order_id: str) -> tuple[str, str | None]:
    found = await row(client, order_id)
    return found.status, found.reject_reason


async def becomes(client: httpx.AsyncClient, order_id: str, status: str) -> None:
    async def check() -> bool:
        return (await status_of(client, order_id))[0] == status

    await eventually(check)


async def test_a_new_journal_reconciles_the_lost_book_and_trades_again(
    app_client: httpx.AsyncClient,
    issuer: TestIssuer,
    broker: Broker,
    order_events: aio_pika.abc.AbstractQueue,
) -> None:
    alice, bob, carol = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    old = Journal(broker)
    await old.start()
    resting, resting_eid = await sent(app_client, issuer, broker, alice)
    canceling, canceling_eid = await sent(app_client, issuer, broker, bob, side="sell", qty="5")
    partly, partly_eid = await sent(app_client, issuer, broker, alice, limit_price="99.00")
    taker, taker_eid = await sent(app_client, issuer, broker, carol, side="sell", qty="4",
                                  limit_price="99.00")  # fmt: skip
    await old.report(EngineEvent(type="accepted", id=resting_eid))
    await old.report(EngineEvent(type="accepted", id=canceling_eid))
    await old.report(EngineEvent(type="accepted", id=partly_eid))
    await old.report(
        EngineEvent(type="accepted", id=taker_eid),
        EngineEvent(type="trade", taker=taker_eid, maker=partly_eid, price=9900, qty=4),
    )
    await becomes(app_client, taker, "filled")
    await becomes(app_client, partly, "partially_filled")
    response = await app_client.delete(f"/api/v1/orders/{canceling}", headers=issuer.headers(bob))
    assert response.json()["status"] == "pending_cancel"  # its cancel never gets an answer
    waiting, waiting_eid = await sent(app_client, issuer, broker, carol, side="sell", qty="3")
    assert await status_of(app_client, waiting) == ("pending_new", None)  # still queued
    await drain(order_events, 0.1)

    new = Journal(broker)  # the shard's directory was emptied: seqs start again at 1
    await new.start()
    for order_id in (resting, canceling, partly):
        await becomes(app_client, order_id, "canceled")
        assert (await status_of(app_client, order_id))[1] == "exchange_reset"
    assert await status_of(app_client, waiting) == ("pending_new", None)
    assert await status_of(app_client, taker) == ("filled", None)
    events = [e for e in await drain(order_events) if e["type"] == "order.changed"]
    ended = {e["payload"]["order"]["id"]: e for e in events}
    ended = {k: e for k, e in ended.items() if e["payload"]["order"]["status"] == "canceled"}
    assert set(ended) == {resting, canceling, partly}
    for event in ended.values():
        assert event["routing_key"] == "order.canceled"  # trader releases what is held
        assert event["payload"]["order"]["reject_reason"] == "exchange_reset"
    assert ended[partly]["payload"]["order"]["filled_qty"] == "4"

    # The new journal's reports reuse the old one's seqs (and book seqs): all applied.
    await new.report(EngineEvent(type="accepted", id=waiting_eid))
    await becomes(app_client, waiting, "new")
    buyer, buyer_eid = await sent(app_client, issuer, broker, alice, qty="3")
    await new.report(EngineEvent(type="canceled", id=canceling_eid, reason="unknown_order"))
    await new.report(
        EngineEvent(type="accepted", id=buyer_eid),
        EngineEvent(type="trade", taker=buyer_eid, maker=waiting_eid, price=10000, qty=3),
    )
    assert new.seq <= old.seq and new.book_seq <= old.book_seq  # every id reused but the epoch
    await becomes(app_client, buyer, "filled")
    await becomes(app_client, waiting, "filled")
    async with app_client.app.state.runtime.db.transaction() as session:  # type: ignore[attr-defined]
        trade_ids = set(
            (
                await session.execute(
                    select(fills.c.trade_id).where(
                        fills.c.order_id.in_([uuid.UUID(buyer), uuid.UUID(waiting)])
                    )
                )
            ).scalars()
        )
        journals = dict(
            (
                await session.execute(
                    select(exchange_epochs.c.epoch, exchange_epochs.c.retired_at).where(
                        exchange_epochs.c.epoch.in_([old.epoch, new.epoch])
                    )
                )
            ).all()
        )
    assert trade_ids == {trade_key("AAPL", 4, new.epoch)}
    assert journals[new.epoch] is None and journals[old.epoch] is not None
    assert (await row(app_client, waiting)).exchange_epoch == new.epoch

    # A straggler from the retired journal describes a book written off: dropped.
    await old.report(
        EngineEvent(type="trade", taker=taker_eid, maker=resting_eid, price=10000, qty=1)
    )
    await asyncio.sleep(0.5)
    assert await status_of(app_client, resting) == ("canceled", "exchange_reset")
    assert (await row(app_client, resting)).filled_qty == 0


async def test_a_replace_waiting_on_the_lost_book_goes_on_to_the_new_journal(
    app_client: httpx.AsyncClient,
    issuer: TestIssuer,
    broker: Broker,
    order_events: aio_pika.abc.AbstractQueue,
) -> None:
    user = uuid.uuid4()
    old = Journal(broker)
    await old.start()
    original, eid = await sent(app_client, issuer, broker, user)
    await old.report(EngineEvent(type="accepted", id=eid))
    await becomes(app_client, original, "new")
    response = await app_client.patch(
        f"/api/v1/orders/{original}", json={"qty": "6"}, headers=issuer.headers(user)
    )
    replacement = response.json()["id"]
    await drain(order_events, 0.1)
    await Journal(broker).start()
    await becomes(app_client, original, "replaced")
    assert (await status_of(app_client, original))[1] == "exchange_reset"
    published = await drain(order_events)
    risk = [e for e in published if e["payload"].get("order_id") == replacement]
    assert [e["routing_key"] for e in risk] == ["order.risk_requested"]
