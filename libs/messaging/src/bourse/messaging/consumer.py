"""Idempotent, ordered consumers: manual ack after commit, inbox dedupe, bounded retries.

Deliveries are queued in arrival order and applied by one worker, a batch at a time,
in ONE database transaction:

1. each message's ``(consumer, message_id)`` goes into the inbox; a message already there
   was applied before (a redelivery): its handler is skipped;
2. the handler's effects (and any events it stages in the outbox) commit together;
3. only then are the messages acked. A crash before the ack redelivers them: the inbox
   makes the second delivery a no-op.

Failures:

* a message no handler wants (a type without handler, or refused by ``wants``) is acked
  at once, without a transaction: applying it would change nothing;
* a body that is not an envelope of a known type is rejected without requeue: straight to
  the queue's dead-letter queue (retrying cannot fix it);
* a handler that raises: the batch is rolled back and its messages are applied one by one,
  so that only the failing message is nacked; the quorum queue counts its deliveries and
  dead-letters it after ``delivery_limit`` attempts (never an endless loop);
* the database or its connection failing is not the message's fault: the batch is kept
  (unacked) and retried with backoff until the database answers, so an outage never
  burns delivery attempts;
* the broker connection dropping (a restart): deliveries received on the old channel can
  no longer be acked; the broker redelivers them on the new one and the inbox turns the
  second application into a no-op. The worker itself never dies.

Parallelism: with ``workers`` > 1 and a ``partition_key`` (say, the user of the message),
deliveries are routed to one lane per worker by that key, so messages of one key keep
their order while different keys are applied concurrently, each lane in its own
transactions. Without a key there is one lane: strict order for the whole queue.
"""

import asyncio
import json
import logging
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from pydantic import ValidationError
from sqlalchemy import String, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common import context
from bourse.common.db import Database, is_retryable
from bourse.common.metrics import MESSAGES_CONSUMED, MESSAGES_FAILED
from bourse.contracts import Envelope, payload_model
from bourse.contracts.events import Payload
from bourse.messaging.broker import Broker
from bourse.messaging.tables import inbox
from bourse.messaging.topology import QueueSpec, declare_queue

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]
PartitionKey = Callable[[dict[str, Any]], str]  # the envelope's payload -> key
# Whether a decoded message is of use to this service. One that is not is acked without
# a transaction: applying it would change nothing, so there is nothing to record either.
Wants = Callable[[Envelope, Any], bool]


@dataclass(frozen=True)
class Delivery:
    message: AbstractIncomingMessage
    envelope: Envelope
    payload: Payload


class PoisonMessageError(Exception):
    """The body cannot be decoded into a known message."""


def is_transient(exc: BaseException) -> bool:
    """Infrastructure trouble (connection lost, server gone), not the message's fault."""
    if isinstance(exc, (OperationalError, InterfaceError, ConnectionError, OSError, TimeoutError)):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or is_retryable(exc)
    return False


def decode(message: AbstractIncomingMessage) -> tuple[Envelope, Payload]:
    try:
        envelope = Envelope.from_bytes(message.body)
        model = payload_model(envelope.type)
        return envelope, model.model_validate(envelope.payload)
    except (ValidationError, ValueError, KeyError) as exc:
        raise PoisonMessageError(repr(exc)) from exc


class Consumer:
    def __init__(
        self,
        broker: Broker,
        db: Database,
        spec: QueueSpec,
        handlers: Mapping[str, Handler],
        *,
        name: str | None = None,
        max_batch: int = 100,
        prefetch: int = 200,
        workers: int = 1,
        partition_key: PartitionKey | None = None,
        wants: Wants | None = None,
    ) -> None:
        self.broker = broker
        self.db = db
        self.spec = spec
        self.handlers = dict(handlers)
        self.name = name or spec.name  # the inbox's consumer key
        self.max_batch = max_batch
        self.prefetch = prefetch
        self.partition_key = partition_key
        self.wants = wants
        lanes = workers if partition_key is not None else 1
        self._lanes: list[asyncio.Queue[AbstractIncomingMessage]] = [
            asyncio.Queue() for _ in range(max(lanes, 1))
        ]
        self._busy = 0
        self._channel: AbstractChannel | None = None

    async def start(self) -> None:
        self._channel = await self.broker.channel(prefetch=self.prefetch)
        queue = await declare_queue(self._channel, self.spec)
        await queue.consume(self._route)

    async def stop(self) -> None:
        if self._channel is not None:
            await self._channel.close()

    async def _route(self, message: AbstractIncomingMessage) -> None:
        lane = 0
        if self.partition_key is not None and len(self._lanes) > 1:
            try:
                key = self.partition_key(json.loads(message.body).get("payload") or {})
            except (ValueError, AttributeError, TypeError):
                key = ""  # undecodable: any lane will dead-letter it
            lane = zlib.crc32(key.encode()) % len(self._lanes)
        await self._lanes[lane].put(message)

    async def run(self) -> None:
        """Apply deliveries forever, one worker per lane (start() first)."""
        await asyncio.gather(*(self._work(lane) for lane in self._lanes))

    async def _work(self, lane: asyncio.Queue[AbstractIncomingMessage]) -> None:
        while True:
            batch = [await lane.get()]
            self._busy += 1
            while len(batch) < self.max_batch and not lane.empty():
                batch.append(lane.get_nowait())
            try:
                await self._process(batch)
            except Exception:  # unacked deliveries come back: keep consuming
                log.exception(
                    "batch of %d on %s failed; the broker redelivers what was not acked",
                    len(batch),
                    self.spec.name,
                )
            finally:
                self._busy -= 1

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Until every received delivery is applied (tests)."""
        async with asyncio.timeout(timeout):
            while self._busy or any(not lane.empty() for lane in self._lanes):
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)
            while self._busy or any(not lane.empty() for lane in self._lanes):
                await asyncio.sleep(0.01)

    async def _process(self, messages: list[AbstractIncomingMessage]) -> None:
        deliveries = []
        for message in messages:
            try:
                delivery = Delivery(message, *decode(message))
            except PoisonMessageError as exc:
                log.error("poison message on %s dead-lettered: %s", self.spec.name, exc)
                MESSAGES_CONSUMED.labels(self.broker.service, self.spec.name, "poison").inc()
                await _settle(message.reject(requeue=False))
                continue
            if self._wanted(delivery):
                deliveries.append(delivery)
            else:
                MESSAGES_CONSUMED.labels(self.broker.service, self.spec.name, "skipped").inc()
                await _settle(message.ack())
        if not deliveries:
            return
        if len(deliveries) == 1:
            await self._apply_alone(deliveries[0])
            return
        try:
            await self._apply_with_backoff(deliveries)
        except Exception:
            for delivery in deliveries:
                await self._apply_alone(delivery)
            return
        for delivery in deliveries:
            await _settle(delivery.message.ack())
        MESSAGES_CONSUMED.labels(self.broker.service, self.spec.name, "ok").inc(len(deliveries))

    def _wanted(self, delivery: Delivery) -> bool:
        if delivery.envelope.type not in self.handlers:
            return False
        return self.wants is None or self.wants(delivery.envelope, delivery.payload)

    async def _apply_alone(self, delivery: Delivery) -> None:
        try:
            await self._apply_with_backoff([delivery])
        except Exception:
            log.exception(
                "handler failed for %s %s (delivery %s); nacked",
                delivery.envelope.type,
                delivery.envelope.message_id,
                delivery.message.headers.get("x-delivery-count", 0),
            )
            MESSAGES_FAILED.labels(self.broker.service, self.spec.name).inc()
            await _settle(delivery.message.nack(requeue=True))
            return
        await _settle(delivery.message.ack())
        MESSAGES_CONSUMED.labels(self.broker.service, self.spec.name, "ok").inc()

    async def _apply_with_backoff(self, deliveries: list[Delivery]) -> None:
        backoff = 0.05
        while True:
            try:
                await self.db.run(lambda session: self._apply(session, deliveries))
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("database unavailable while consuming %s: %r", self.spec.name, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    async def _apply(self, session: AsyncSession, deliveries: list[Delivery]) -> None:
        for delivery in await self._first_deliveries(session, deliveries):
            envelope = delivery.envelope
            handler = self.handlers[envelope.type]  # unhandled types were skipped
            cid = context.correlation_id.set(envelope.correlation_id)
            cause = context.causation_id.set(str(envelope.message_id))
            try:
                await handler(session, envelope, delivery.payload)
            finally:
                context.correlation_id.reset(cid)
                context.causation_id.reset(cause)

    async def _first_deliveries(
        self, session: AsyncSession, deliveries: list[Delivery]
    ) -> list[Delivery]:
        """Records the batch in the inbox with one statement; returns, in order, the
        deliveries seen for the first time (a redelivery, or a second copy inside the
        batch, is left out)."""
        fresh = await record_in_inbox(
            session, self.name, [d.envelope.message_id for d in deliveries]
        )
        first: list[Delivery] = []
        for delivery in deliveries:
            if delivery.envelope.message_id in fresh:
                fresh.discard(delivery.envelope.message_id)
                first.append(delivery)
        return first


async def record_in_inbox(
    session: AsyncSession, consumer: str, message_ids: Sequence[UUID]
) -> set[UUID]:
    """Records ``message_ids`` as seen by ``consumer`` with one statement; returns those
    it had not seen before."""
    found = await session.scalars(_RECORD, {"consumer": consumer, "ids": list(message_ids)})
    return set(found)


# One statement whatever the batch size: a multi-row VALUES would be compiled anew for
# every distinct count of rows.
_RECORD = (
    insert(inbox)
    .from_select(
        ["consumer", "message_id"],
        select(
            bindparam("consumer", type_=String),
            func.unnest(bindparam("ids", type_=ARRAY(PG_UUID(as_uuid=True)))),
        ),
    )
    .on_conflict_do_nothing()
    .returning(inbox.c.message_id)
)


async def _settle(outcome: Awaitable[None]) -> None:
    """Ack, nack or reject; if the delivery's channel is gone (the connection dropped),
    the broker has already taken the message back and will deliver it again."""
    try:
        await outcome
    except Exception as exc:  # any channel error means the same thing here
        log.info("could not settle a delivery (%r): the broker will redeliver it", exc)
