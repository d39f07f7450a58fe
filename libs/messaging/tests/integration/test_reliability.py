"""Outbox -> relay (confirms) -> quorum queue -> inbox consumer: each event applied exactly
once, through duplicates, poison, failing handlers and a broker restart."""

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aio_pika
import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.common.settings import ServiceSettings
from bourse.contracts import Envelope
from bourse.contracts.events import UserRegistered
from bourse.contracts.topology import USERS
from bourse.messaging.broker import Broker
from bourse.messaging.consumer import Consumer
from bourse.messaging.outbox import stage
from bourse.messaging.relay import OutboxRelay
from bourse.messaging.runtime import ServiceRuntime
from bourse.messaging.topology import Binding, QueueSpec, declare_queue
from bourse.testing.infra import restart_broker
from bourse.testing.polling import eventually

from messaging_support import applied, effects, running


def spec(limit: int = 5) -> QueueSpec:
    return QueueSpec(
        f"test.users.{uuid.uuid4().hex[:8]}", [Binding(USERS, "user.#")], delivery_limit=limit
    )


def registered() -> UserRegistered:
    return UserRegistered(user_id=uuid.uuid4(), email=f"{uuid.uuid4().hex[:8]}@example.com")


async def record(session: AsyncSession, envelope: Envelope, _payload: Any) -> None:
    await session.execute(insert(effects).values(message_id=envelope.message_id, attempt=1))


async def consumer_for(
    broker: Broker, db: Database, queue: QueueSpec, handler: Any = record
) -> Consumer:
    consumer = Consumer(broker, db, queue, {UserRegistered.TYPE: handler})
    await consumer.start()
    return consumer


async def dlq_count(broker: Broker, queue: QueueSpec) -> int:
    channel = await broker.channel()
    declared = await channel.declare_queue(queue.dead_letter_queue, passive=True)
    count = declared.declaration_result.message_count or 0
    await channel.close()
    return count


async def test_staged_events_are_applied_exactly_once(db: Database, broker: Broker) -> None:
    queue = spec()
    consumer = await consumer_for(broker, db, queue)
    relay = OutboxRelay(db, broker, "msg-test")
    async with db.transaction() as session:
        await stage(session, *(registered() for _ in range(50)))
    async with running(relay.run, consumer.run):
        assert await eventually(lambda: _equals(applied(db), 50))
    assert await relay.backlog() == 0


async def test_one_relay_leads_and_another_takes_over_when_it_dies(
    db: Database, broker: Broker
) -> None:
    consumer = await consumer_for(broker, db, spec())
    first = OutboxRelay(db, broker, "msg-test", sweep_interval=0.1)
    second = OutboxRelay(db, broker, "msg-test", sweep_interval=0.1)
    async with running(consumer.run):
        first_task = asyncio.create_task(first.run())
        assert await eventually(lambda: _true(first.is_leader))
        async with running(second.run):
            async with db.transaction() as session:
                await stage(session, *(registered() for _ in range(20)))
            assert await eventually(lambda: _equals(applied(db), 20))
            assert not second.is_leader
            first_task.cancel()  # the leader dies: the server frees its lock
            await asyncio.gather(first_task, return_exceptions=True)
            assert await eventually(lambda: _true(second.is_leader))
            async with db.transaction() as session:
                await stage(session, *(registered() for _ in range(20)))
            assert await eventually(lambda: _equals(applied(db), 40))
    assert await second.backlog() == 0


async def _true(value: bool) -> bool:
    return value


async def test_a_rolled_back_transaction_publishes_nothing(db: Database, broker: Broker) -> None:
    queue = spec()
    consumer = await consumer_for(broker, db, queue)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await stage(session, registered())
            raise RuntimeError("the state change failed")
    async with db.transaction() as session:
        await stage(session, registered())
    relay = OutboxRelay(db, broker, "msg-test")
    async with running(relay.run, consumer.run):
        assert await eventually(lambda: _equals(applied(db), 1))
        await asyncio.sleep(0.3)
    assert await applied(db) == 1


async def test_a_redelivered_message_is_applied_once(db: Database, broker: Broker) -> None:
    queue = spec()
    consumer = await consumer_for(broker, db, queue)
    payload = registered()
    envelope = Envelope(type=payload.TYPE, payload=payload.model_dump(mode="json"))
    for _ in range(3):  # a relay that crashed before deleting its rows publishes again
        await broker.publish(payload, envelope)
    async with running(consumer.run):
        await eventually(lambda: _inbox_has(db, envelope.message_id))
        await consumer.wait_idle()
    assert await applied(db) == 1


async def test_poison_goes_straight_to_the_dead_letter_queue(db: Database, broker: Broker) -> None:
    queue = spec()
    consumer = await consumer_for(broker, db, queue)
    await broker.publish_raw(
        USERS, "user.registered", b"{not json", message_id="x", message_type="user.registered"
    )
    await broker.publish_raw(
        USERS,
        "user.registered",
        b'{"type":"nope","payload":{}}',
        message_id="y",
        message_type="nope",
    )
    async with running(consumer.run):
        assert await eventually(lambda: _equals(dlq_count(broker, queue), 2))
    assert await applied(db) == 0


async def test_a_failing_handler_is_retried_a_bounded_number_of_times(
    db: Database, broker: Broker
) -> None:
    queue = spec(limit=2)
    attempts = 0

    async def broken(session: AsyncSession, envelope: Envelope, payload: Any) -> None:
        nonlocal attempts
        attempts += 1
        raise ValueError("a bug in the handler")

    consumer = await consumer_for(broker, db, queue, broken)
    await broker.publish(registered())
    async with running(consumer.run):
        assert await eventually(lambda: _equals(dlq_count(broker, queue), 1))
    assert attempts == 3  # the first delivery and two redeliveries, then dead-lettered


async def test_one_bad_message_does_not_block_its_batch(db: Database, broker: Broker) -> None:
    queue = spec(limit=1)
    bad = registered()

    async def picky(session: AsyncSession, envelope: Envelope, payload: Any) -> None:
        if payload.user_id == bad.user_id:
            raise ValueError("cannot apply this one")
        await record(session, envelope, payload)

    consumer = await consumer_for(broker, db, queue, picky)
    for payload in [registered(), bad, registered()]:
        await broker.publish(payload)
    async with running(consumer.run):
        assert await eventually(lambda: _equals(applied(db), 2))
        assert await eventually(lambda: _equals(dlq_count(broker, queue), 1))


async def test_messages_no_handler_wants_are_acked_without_a_transaction(
    db: Database, broker: Broker
) -> None:
    queue = spec()
    consumer = Consumer(
        broker, db, queue, {UserRegistered.TYPE: record}, wants=lambda _, p: p.email < "8"
    )
    await consumer.start()
    wanted = [registered() for _ in range(20)]
    for payload in wanted:
        await broker.publish(payload)
    kept = sum(payload.email < "8" for payload in wanted)  # hex: about half
    async with running(consumer.run):
        assert await eventually(lambda: _equals(applied(db), kept))
        await consumer.wait_idle()
    assert await inbox_rows(db) == kept  # the others never reached the database
    await consumer.stop()  # anything left unacked goes back to the queue now
    channel = await broker.channel()
    try:
        declared = await channel.declare_queue(queue.name, passive=True)
        assert not await _got_one(declared)  # and were acked: none comes back
    finally:
        await channel.close()


async def inbox_rows(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(text("SELECT count(*) FROM inbox")) or 0)


@pytest.mark.fault
async def test_a_broker_restart_mid_flow_loses_nothing_and_applies_nothing_twice(
    db: Database, broker: Broker
) -> None:
    queue = spec()
    consumer = await consumer_for(broker, db, queue)
    relay = OutboxRelay(db, broker, "msg-test")
    total = 0
    async with running(relay.run, consumer.run):
        for _ in range(10):
            async with db.transaction() as session:
                await stage(session, *(registered() for _ in range(20)))
            total += 20
        await asyncio.to_thread(restart_broker)
        for _ in range(10):  # staged while the broker recovers: the relay must catch up
            async with db.transaction() as session:
                await stage(session, *(registered() for _ in range(20)))
            total += 20
        assert await eventually(lambda: _equals(applied(db), total), timeout=60)
    assert await relay.backlog() == 0
    assert await dlq_count(broker, queue) == 0


async def _equals(value: Any, expected: int) -> bool:
    return bool(await value == expected)


async def _inbox_has(db: Database, message_id: uuid.UUID) -> bool:
    from bourse.messaging.tables import inbox  # noqa: PLC0415

    async with db.transaction() as session:
        found = await session.scalar(
            select(inbox.c.message_id).where(inbox.c.message_id == message_id)
        )
        return found is not None


async def test_an_event_nobody_listens_to_does_not_block_but_a_command_must_be_routed(
    db: Database, broker: Broker
) -> None:
    from aio_pika.exceptions import PublishError  # noqa: PLC0415

    from bourse.contracts.events import ExchangeCommand, PriceChanged  # noqa: PLC0415

    price = PriceChanged(symbol="NOBODY", price=Decimal(1), ts=datetime.now(UTC))
    await broker.publish(price)
    async with db.transaction() as session:  # the relay must get past it, too
        await stage(session, price)
    await OutboxRelay(db, broker, "msg-test").drain()
    with pytest.raises(PublishError):
        await broker.publish(ExchangeCommand(symbol="NOBODY", op="cancel", engine_id=1))


async def test_a_closed_publishing_channel_is_replaced(db: Database, broker: Broker) -> None:
    queue = spec()
    consumer = await consumer_for(broker, db, queue)
    assert broker._channel is not None
    await broker._channel.close()  # as a channel-level error or a failed restore leaves it
    await broker.publish(registered())
    async with running(consumer.run):
        assert await eventually(lambda: _equals(applied(db), 1))


async def test_lanes_keep_the_order_of_each_key_and_apply_every_message_once(
    db: Database, broker: Broker
) -> None:
    queue = spec()
    seen: dict[str, list[int]] = {}

    async def ordered(session: AsyncSession, envelope: Envelope, payload: Any) -> None:
        user, n = payload.email.split("@")[0].split("-")
        seen.setdefault(user, []).append(int(n))
        await record(session, envelope, payload)

    consumer = Consumer(
        broker,
        db,
        queue,
        {UserRegistered.TYPE: ordered},
        workers=4,
        partition_key=lambda p: str(p.get("email", "")).split("-")[0],
    )
    await consumer.start()
    users = [f"u{i}" for i in range(6)]
    for n in range(20):
        for user in users:
            await broker.publish(UserRegistered(user_id=uuid.uuid4(), email=f"{user}-{n}@x.io"))
    async with running(consumer.run):
        assert await eventually(lambda: _equals(applied(db), 120), timeout=30)
    assert seen == {user: list(range(20)) for user in users}


async def test_a_retired_binding_is_removed_when_the_queue_is_declared_again(
    broker: Broker,
) -> None:
    old = spec()
    new = QueueSpec(old.name, [], delivery_limit=old.delivery_limit, retired=old.bindings)
    channel = await broker.channel()
    try:
        queue = await declare_queue(channel, old)
        await broker.publish(registered())
        assert await eventually(lambda: _got_one(queue))
        await declare_queue(channel, new)
        await broker.publish(registered())
        await asyncio.sleep(0.5)
        assert not await _got_one(queue)  # no longer routed here
    finally:
        await channel.queue_delete(old.name)
        await channel.queue_delete(old.dead_letter_queue)
        await channel.close()


async def _got_one(queue: Any) -> bool:
    return await queue.get(no_ack=True, fail=False) is not None


async def test_declare_deletes_a_retired_queue_and_its_dead_letter_queue(
    broker: Broker, amqp_url: str
) -> None:
    old = spec()
    channel = await broker.channel()
    await declare_queue(channel, old)
    await channel.close()
    await broker.publish(registered())
    assert await eventually(lambda: _holds(broker, old.name))  # it keeps what is routed to it
    settings = ServiceSettings(service_name="retiring", amqp_url=amqp_url)
    await ServiceRuntime(settings, retired_queues=[old.name]).declare()
    for name in (old.name, old.dead_letter_queue):
        assert await _messages_in(broker, name) is None
    await ServiceRuntime(settings, retired_queues=[old.name]).declare()  # gone: a no-op


async def _holds(broker: Broker, name: str) -> bool:
    return bool(await _messages_in(broker, name))


async def _messages_in(broker: Broker, name: str) -> int | None:
    """How many messages the queue holds; None when there is no such queue."""
    channel = await broker.channel()
    try:
        declared = await channel.declare_queue(name, passive=True)
    except aio_pika.exceptions.ChannelNotFoundEntity:
        return None
    count = declared.declaration_result.message_count or 0
    await channel.close()
    return count
