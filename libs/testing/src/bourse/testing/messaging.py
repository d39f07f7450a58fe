"""Apply one message as a service's consumer would (inbox, then handler, in one
transaction), without a broker (the broker path itself is tested in bourse-messaging's
own tests). A subscription's ``wants`` filter is not applied: the handler sees every
message, so its own checks stay tested."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bourse.common.db import Database
from bourse.contracts import Envelope, payload_model
from bourse.contracts.events import Payload
from bourse.messaging.consumer import BatchHandler, Handler, apply_batch, record_in_inbox
from bourse.messaging.uow import Event, UnitOfWork

T = TypeVar("T")


# How a batch-equivalence property cuts its flow into batches (sizes, used in turn).
BATCH_CUTS = st.lists(st.integers(1, 12), min_size=1, max_size=20)


def batch_property(max_examples: int = 40) -> settings:
    """Hypothesis settings of a batch-equivalence property: its examples share one
    database fixture (reset by the property) and each one runs real transactions."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def envelope_of(payload: Payload, message_id: UUID | None = None, **fields: Any) -> Envelope:
    """``payload`` in an envelope; ``fields``: other envelope fields (occurred_at, ...)."""
    if message_id is not None:
        fields["message_id"] = message_id
    return Envelope(type=payload.TYPE, payload=payload.model_dump(mode="json"), **fields)


async def apply_as_consumer(
    db: Database, consumer: str, handlers: Mapping[str, Handler], envelope: Envelope
) -> bool:
    """Decode ``envelope`` off the wire, record it in ``consumer``'s inbox and handle it,
    in one transaction; False when the inbox says it was applied before."""
    envelope = Envelope.from_bytes(envelope.to_bytes())
    payload = payload_model(envelope.type).model_validate(envelope.payload)
    async with db.transaction() as session:
        if not await record_in_inbox(
            await UnitOfWork(session).pg(), consumer, [envelope.message_id]
        ):
            return False
        await handlers[envelope.type](session, envelope, payload)
    return True


async def apply_batch_as_consumer(
    db: Database,
    consumer: str,
    handlers: Mapping[str, BatchHandler],
    envelopes: Sequence[Envelope],
) -> list[UUID]:
    """Decode ``envelopes`` off the wire and apply them as ONE consumer batch (inbox, then
    each run of one type to its batch handler, then the outbox), in one transaction;
    returns the message ids that were new to the inbox."""
    events = [decoded(envelope) for envelope in envelopes]
    async with db.transaction() as session:
        uow = UnitOfWork(session)
        fresh = await record_in_inbox(await uow.pg(), consumer, [e.message_id for e in events])
        first = []
        for event in events:  # a second copy inside the batch is left out too
            if event.message_id in fresh:
                fresh.discard(event.message_id)
                first.append(event)
        await apply_batch(uow, handlers, first)
    return [event.message_id for event in first]


def decoded(envelope: Envelope) -> Event[Any]:
    """``envelope`` as a consumer receives it: off the wire, its payload validated."""
    envelope = Envelope.from_bytes(envelope.to_bytes())
    return Event(envelope, payload_model(envelope.type).model_validate(envelope.payload))


async def applied_both_ways(
    db: Database,
    consumer: str,
    handlers: Mapping[str, BatchHandler],
    envelopes: Sequence[Envelope],
    sizes: Sequence[int],
    *,
    reset: Callable[[Database], Awaitable[None]],
    read: Callable[[Database], Awaitable[T]],
) -> tuple[T, T]:
    """What ``read`` finds after applying ``envelopes`` one message per batch, then after
    applying them again (from ``reset``) cut into batches of ``sizes`` (repeated as
    needed): a batch handler must give both the same (ARCHITECTURE §4a)."""
    await reset(db)
    for envelope in envelopes:
        await apply_batch_as_consumer(db, consumer, handlers, [envelope])
    one_at_a_time = await read(db)
    await reset(db)
    start, turn = 0, 0
    while start < len(envelopes):
        size = sizes[turn % len(sizes)]
        await apply_batch_as_consumer(db, consumer, handlers, envelopes[start : start + size])
        start, turn = start + size, turn + 1
    return one_at_a_time, await read(db)


def published(envelope: Envelope) -> tuple[str, str | None, dict[str, Any]]:
    """What an outbox event says: its type, its cause and its payload."""
    return envelope.type, envelope.causation_id, envelope.payload


async def rows_and_outbox(
    db: Database,
    queries: Mapping[str, str],
    describe: Callable[[Envelope], Any] = published,
) -> dict[str, list[Any]]:
    """The rows each query returns, and the outbox's events in publishing order (each as
    ``describe`` tells it)."""
    async with db.transaction() as session:
        found = {
            name: [tuple(row) for row in await session.execute(text(query))]
            for name, query in queries.items()
        }
        bodies = await session.scalars(text("SELECT body FROM outbox ORDER BY id"))
        found["outbox"] = [describe(Envelope.from_bytes(body)) for body in bodies]
    return found
