"""Batch-native consumers (ARCHITECTURE §4a): a handler gets runs of its type in message
order inside one unit of work; the outbox is written once per batch; a failing event is
rolled back and dead-lettered alone while the rest of its batch commits."""

import asyncio
import json
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import InstrumentChanged, UserRegistered
from bourse.contracts.topology import MARKET, USERS
from bourse.messaging.broker import Broker
from bourse.messaging.consumer import Consumer, apply_batch, one_at_a_time
from bourse.messaging.outbox import stage
from bourse.messaging.relay import OutboxRelay
from bourse.messaging.tables import outbox
from bourse.messaging.topology import Binding, QueueSpec
from bourse.messaging.uow import Event, UnitOfWork
from bourse.messaging.wire import BATCH_HEADER, batch_body
from bourse.testing.messaging import apply_batch_as_consumer, envelope_of
from bourse.testing.polling import eventually

from messaging_support import applied, consuming, effects

INSERT_EFFECTS = "INSERT INTO effects (message_id, attempt) SELECT unnest($1::uuid[]), 1"


def queue_spec(limit: int = 0) -> QueueSpec:
    return QueueSpec(
        f"test.batch.{uuid.uuid4().hex[:8]}",
        [Binding(USERS, "user.#"), Binding(MARKET, "instrument.changed.#")],
        delivery_limit=limit,
    )


def registered() -> UserRegistered:
    return UserRegistered(user_id=uuid.uuid4(), email=f"{uuid.uuid4().hex[:8]}@example.com")


def instrument(symbol: str = "AAPL") -> InstrumentChanged:
    return InstrumentChanged.model_validate(
        {
            "symbol": symbol,
            "name": symbol,
            "tick_size": "0.01",
            "lot_size": "1",
            "status": "trading",
        }
    )


async def record_all(uow: UnitOfWork, events: Sequence[Event[Any]]) -> None:
    """Set-based: one statement for the whole run, one outbox event per input."""
    pg = await uow.pg()
    await pg.execute(INSERT_EFFECTS, [event.message_id for event in events])
    for event in events:
        uow.stage(instrument(event.payload.email[:8].upper()), cause=event)


async def outbox_rows(db: Database) -> list[Any]:
    async with db.transaction() as session:
        rows = await session.execute(select(outbox).order_by(outbox.c.id))
        return list(rows)


async def test_runs_of_one_type_reach_their_handler_together_in_message_order(
    db: Database,
) -> None:
    calls: list[tuple[str, list[uuid.UUID]]] = []

    async def users(uow: UnitOfWork, events: Sequence[Event[Any]]) -> None:
        calls.append(("users", [event.message_id for event in events]))

    async def instruments(uow: UnitOfWork, events: Sequence[Event[Any]]) -> None:
        calls.append(("instruments", [event.message_id for event in events]))

    kinds = ["u", "u", "i", "u", "i", "i", "u"]
    envelopes = [envelope_of(registered() if k == "u" else instrument()) for k in kinds]
    handlers = {UserRegistered.TYPE: users, InstrumentChanged.TYPE: instruments}
    await apply_batch_as_consumer(db, "runs", handlers, envelopes)
    ids = [envelope.message_id for envelope in envelopes]
    assert calls == [
        ("users", ids[0:2]),
        ("instruments", ids[2:3]),
        ("users", ids[3:4]),
        ("instruments", ids[4:6]),
        ("users", ids[6:7]),
    ]


async def test_staged_events_are_written_once_in_staging_order_with_their_cause(
    db: Database,
) -> None:
    envelopes = [envelope_of(registered(), correlation_id=f"flow-{n}") for n in range(30)]
    await apply_batch_as_consumer(db, "stage", {UserRegistered.TYPE: record_all}, envelopes)
    rows = await outbox_rows(db)
    assert len(rows) == 30
    written = [Envelope.from_bytes(row.body) for row in rows]
    assert [e.causation_id for e in written] == [str(e.message_id) for e in envelopes]
    assert [e.correlation_id for e in written] == [f"flow-{n}" for n in range(30)]
    assert {row.routing_key for row in rows} == {
        f"instrument.changed.{e.payload['email'][:8].upper()}" for e in envelopes
    }


async def test_a_redelivered_subset_of_a_batch_changes_nothing(db: Database) -> None:
    envelopes = [envelope_of(registered()) for _ in range(10)]
    handlers = {UserRegistered.TYPE: record_all}
    assert len(await apply_batch_as_consumer(db, "again", handlers, envelopes)) == 10
    again = [*envelopes[2:5], envelopes[7], envelopes[2]]
    assert await apply_batch_as_consumer(db, "again", handlers, again) == []
    assert await applied(db) == 10
    assert len(await outbox_rows(db)) == 10


async def test_the_asyncpg_connection_runs_inside_the_units_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            uow = UnitOfWork(session)
            pg = await uow.pg()
            await pg.execute(INSERT_EFFECTS, [uuid.uuid4()])
            uow.stage(registered())
            await uow.flush()
            assert await session.scalar(text("SELECT count(*) FROM effects")) == 1
            raise RuntimeError("the batch failed")
    assert await applied(db) == 0
    assert await outbox_rows(db) == []


async def test_a_per_message_handler_sees_each_message_as_its_cause(db: Database) -> None:
    from bourse.common import context  # noqa: PLC0415

    causes: list[str | None] = []

    async def legacy(session: AsyncSession, envelope: Envelope, payload: Any) -> None:
        causes.append(context.causation_id.get())

    envelopes = [envelope_of(registered()) for _ in range(3)]
    events = [Event(e, UserRegistered.model_validate(e.payload)) for e in envelopes]
    async with db.transaction() as session:
        await apply_batch(UnitOfWork(session), {UserRegistered.TYPE: one_at_a_time(legacy)}, events)
    assert causes == [str(e.message_id) for e in envelopes]
    assert context.causation_id.get() is None


async def test_one_failing_event_is_dead_lettered_alone_and_the_rest_of_its_batch_commits(
    db: Database, broker: Broker
) -> None:
    queue = queue_spec(limit=0)
    bad = registered()
    batches: list[int] = []

    async def picky(uow: UnitOfWork, events: Sequence[Event[Any]]) -> None:
        batches.append(len(events))
        if any(event.payload.user_id == bad.user_id for event in events):
            raise ValueError("cannot apply this one")
        await record_all(uow, events)

    consumer = Consumer(broker, db, queue, {}, batch={UserRegistered.TYPE: picky})
    await consumer.start()
    good = [registered() for _ in range(9)]
    for payload in [*good[:4], bad, *good[4:]]:  # queued before the consumer runs: one batch
        await broker.publish(payload)
    await asyncio.sleep(0.3)
    async with consuming(consumer):
        assert await eventually(lambda: _equals(applied(db), 9))
        assert await eventually(lambda: _dead_letters(broker, queue, 1))
        await consumer.wait_idle()
    assert batches[0] == 10  # the whole batch first, then each alone in its savepoint
    assert len(await outbox_rows(db)) == 9  # the failed event's staged events are gone
    async with db.transaction() as session:
        recorded = set(await session.scalars(select(effects.c.message_id)))
        inbox = set(await session.scalars(text("SELECT message_id FROM inbox")))
    assert recorded == inbox and len(inbox) == 9  # the failed one may come back later


async def _equals(value: Any, expected: int) -> bool:
    return bool(await value == expected)


async def _dead_letters(broker: Broker, queue: QueueSpec, expected: int) -> bool:
    channel = await broker.channel()
    try:
        declared = await channel.declare_queue(queue.dead_letter_queue, passive=True)
        return declared.declaration_result.message_count == expected
    finally:
        await channel.close()


# ---------------------------------------------------------------- batch messages


async def test_the_relay_sends_consecutive_events_of_one_route_as_one_message(
    db: Database, broker: Broker
) -> None:
    channel = await broker.channel()
    try:
        raw = await channel.declare_queue(exclusive=True)
        await raw.bind(USERS, "user.#")
        async with db.transaction() as session:
            await stage(session, *(registered() for _ in range(30)))
            await stage(session, instrument())  # another route: a message of its own
            await stage(session, *(registered() for _ in range(5)))
        await OutboxRelay(db, broker, "msg-test").drain()
        got = [await raw.get(timeout=5) for _ in range(2)]
        assert await raw.get(fail=False) is None
    finally:
        await channel.close()
    assert [m.headers.get(BATCH_HEADER) for m in got] == [30, 5]
    bodies = [json.loads(m.body) for m in got]
    assert [len(body) for body in bodies] == [30, 5]
    ids = [uuid.UUID(envelope["message_id"]) for body in bodies for envelope in body]
    assert ids == sorted(ids)  # staging order kept


async def test_a_batch_message_is_applied_across_lanes_and_settled_once(
    db: Database, broker: Broker
) -> None:
    queue = queue_spec(limit=0)
    consumer = Consumer(
        broker,
        db,
        queue,
        {},
        batch={UserRegistered.TYPE: record_all},
        workers=4,
        partition_key=lambda payload: str(payload["email"]),
    )
    await consumer.start()
    envelopes = [envelope_of(registered()) for _ in range(40)]
    await _publish_batch(broker, [e.to_bytes() for e in envelopes])
    async with consuming(consumer):
        assert await eventually(lambda: _equals(applied(db), 40))
        await consumer.wait_idle()
    assert not await _requeued(broker, queue)  # acked once every event was applied
    assert await applied(db) == 40


async def test_batches_acked_with_one_frame_each_leave_nothing_to_redeliver(
    db: Database, broker: Broker
) -> None:
    queue = queue_spec(limit=0)
    consumer = Consumer(
        broker, db, queue, {}, batch={UserRegistered.TYPE: record_all}, max_batch=10
    )
    await consumer.start()
    for _ in range(25):  # queued before the consumer runs: batches of 10, 10 and 5
        await broker.publish(registered())
    await asyncio.sleep(0.3)
    async with consuming(consumer):
        assert await eventually(lambda: _equals(applied(db), 25))
        await consumer.wait_idle()
    assert not await _requeued(broker, queue)


async def test_a_poison_event_in_a_batch_message_is_dead_lettered_alone(
    db: Database, broker: Broker
) -> None:
    queue = queue_spec(limit=0)
    consumer = Consumer(broker, db, queue, {}, batch={UserRegistered.TYPE: record_all})
    await consumer.start()
    good = [envelope_of(registered()).to_bytes() for _ in range(4)]
    await _publish_batch(broker, [*good[:2], b'{"type":"user.registered","payload":{}}', *good[2:]])
    async with consuming(consumer):
        assert await eventually(lambda: _equals(applied(db), 4))
        assert await eventually(lambda: _dead_letters(broker, queue, 1))
        await consumer.wait_idle()
    assert not await _requeued(broker, queue)


async def _publish_batch(broker: Broker, bodies: list[bytes]) -> None:
    await broker.publish_raw(
        USERS,
        "user.registered",
        batch_body(bodies),
        message_id=str(uuid.uuid4()),
        message_type=UserRegistered.TYPE,
        headers={BATCH_HEADER: len(bodies)},
    )


async def _requeued(broker: Broker, queue: QueueSpec) -> bool:
    channel = await broker.channel()
    try:
        declared = await channel.declare_queue(queue.name, passive=True)
        return await declared.get(no_ack=True, fail=False) is not None
    finally:
        await channel.close()
