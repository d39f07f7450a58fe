"""Idempotent, ordered consumers: manual ack after commit, inbox dedupe, bounded retries.

Deliveries are queued in arrival order and applied by one worker, a batch at a time,
in ONE database transaction (a :class:`~bourse.messaging.uow.UnitOfWork`):

1. the batch's ``(consumer, message_id)`` pairs go into the inbox with one statement; a
   message already there was applied before (a redelivery): it is left out;
2. the rest is cut into runs of consecutive messages that go to one batch handler (one
   handler may take several types, so that, say, risk requests and fills of one account
   are applied together), and each run goes to its handler at once, in message order (a
   handler written for one message at a time is called once per message of the run);
   their effects and the events they stage in the outbox (one insert for the batch)
   commit together;
3. only then are the messages acked, with one frame for the batch where that is safe
   (:mod:`bourse.messaging.acks`). A crash before the ack redelivers them: the inbox
   makes the second delivery a no-op.

Failures:

* a message no handler wants (a type without handler, or refused by ``wants``) is acked
  at once, without a transaction: applying it would change nothing;
* a body that is not an envelope of a known type is rejected without requeue: straight to
  the queue's dead-letter queue (retrying cannot fix it);
* a handler that raises: the batch is rolled back and applied again in one transaction,
  each message alone inside a savepoint, so that only the failing message is rolled back
  and nacked while the rest commits; the quorum queue counts its deliveries and
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
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common import context
from bourse.common.db import Database, is_retryable
from bourse.common.metrics import CONSUMER_BATCH, MESSAGES_CONSUMED, MESSAGES_FAILED
from bourse.contracts import Envelope
from bourse.contracts.events import Payload
from bourse.contracts.topology import DEAD_LETTER_EXCHANGE
from bourse.messaging.acks import AckLedger
from bourse.messaging.broker import Broker
from bourse.messaging.topology import QueueSpec, declare_queue
from bourse.messaging.uow import Event, UnitOfWork, run_unit
from bourse.messaging.wire import PoisonMessageError, Settlement, decode, settle

log = logging.getLogger(__name__)

# A handler of one message at a time, on the transaction's session.
Handler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]
# A batch-native handler: a run of consecutive messages of its types, in message order.
BatchHandler = Callable[[UnitOfWork, Sequence[Event[Any]]], Awaitable[None]]
PartitionKey = Callable[[dict[str, Any]], str]  # the envelope's payload -> key
# Whether a decoded message is of use to this service. One that is not is acked without
# a transaction: applying it would change nothing, so there is nothing to record either.
Wants = Callable[[Envelope, Any], bool]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event of a received message (a batch message carries several)."""

    settlement: Settlement
    envelope: Envelope
    payload: Payload

    @property
    def event(self) -> Event[Any]:
        return Event(self.envelope, self.payload)


def one_at_a_time(handler: Handler) -> BatchHandler:
    """``handler`` as a batch handler: called for each message of the run in turn, with
    the message as the context's correlation and causation."""

    async def apply(uow: UnitOfWork, events: Sequence[Event[Any]]) -> None:
        for event in events:
            with caused_by(event.envelope):
                await handler(uow.session, event.envelope, event.payload)

    return apply


@contextlib.contextmanager
def caused_by(envelope: Envelope) -> Iterator[None]:
    """The context's correlation and causation are ``envelope``'s while it is open."""
    cid = context.correlation_id.set(envelope.correlation_id)
    cause = context.causation_id.set(str(envelope.message_id))
    try:
        yield
    finally:
        context.correlation_id.reset(cid)
        context.causation_id.reset(cause)


def batch_handlers(
    handlers: Mapping[str, Handler], batch: Mapping[str, BatchHandler]
) -> dict[str, BatchHandler]:
    """Every type's batch handler: the batch-native ones, and the others adapted."""
    overlap = handlers.keys() & batch.keys()
    if overlap:
        raise ValueError(f"two handlers for {sorted(overlap)}")
    return {**{t: one_at_a_time(h) for t, h in handlers.items()}, **batch}


async def apply_batch(
    uow: UnitOfWork, handlers: Mapping[str, BatchHandler], events: Sequence[Event[Any]]
) -> None:
    """Apply ``events`` in order: each run of consecutive events that go to one handler
    (a batch handler may take several types) to that handler at once; then the outbox."""
    for handler, run in groupby(events, key=lambda event: handlers[event.envelope.type]):
        await handler(uow, list(run))
    await uow.flush()


def is_transient(exc: BaseException) -> bool:
    """Infrastructure trouble (connection lost, server gone), not the message's fault."""
    if isinstance(exc, (OperationalError, InterfaceError, ConnectionError, OSError, TimeoutError)):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or is_retryable(exc)
    return False


class Consumer:
    def __init__(
        self,
        broker: Broker,
        db: Database,
        spec: QueueSpec,
        handlers: Mapping[str, Handler],
        *,
        batch: Mapping[str, BatchHandler] | None = None,
        name: str | None = None,
        max_batch: int = 100,
        prefetch: int = 200,
        workers: int = 1,
        partition_key: PartitionKey | None = None,
        wants: Wants | None = None,
        linger: float = 0.0,
    ) -> None:
        self.broker = broker
        self.db = db
        self.spec = spec
        self.handlers = batch_handlers(handlers, batch or {})
        self.name = name or spec.name  # the inbox's consumer key
        self.max_batch = max_batch
        self.prefetch = prefetch
        self.partition_key = partition_key
        self.wants = wants
        self.linger = linger
        lanes = workers if partition_key is not None else 1
        self._lanes: list[asyncio.Queue[Delivery]] = [asyncio.Queue() for _ in range(max(lanes, 1))]
        self._acks = AckLedger(multiple=len(self._lanes) == 1)  # one lane: delivery order
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
        """Decode the message once, dead-letter what cannot be decoded, settle at once
        what no handler wants, and queue each wanted event on its lane."""
        try:
            decoded, poison = decode(message)
        except PoisonMessageError as exc:
            log.error("poison message on %s dead-lettered: %s", self.spec.name, exc)
            self._count("poison")
            await settle(message.reject(requeue=False))
            return
        for body in poison:
            await self._dead_letter(body)
        wanted = [item for item in decoded if self._wanted(item.envelope, item.payload)]
        self._count("skipped", len(decoded) - len(wanted))
        if not wanted:
            await settle(message.ack())
            return
        settlement = Settlement(message, len(wanted))
        self._acks.opened(message)
        for item in wanted:
            delivery = Delivery(settlement, item.envelope, item.payload)
            await self._lanes[self._lane_of(item.envelope)].put(delivery)

    def _lane_of(self, envelope: Envelope) -> int:
        if self.partition_key is None or len(self._lanes) == 1:
            return 0
        key = self.partition_key(envelope.payload)
        return zlib.crc32(key.encode()) % len(self._lanes)

    async def _dead_letter(self, body: bytes) -> None:
        """One undecodable event of a batch goes to the queue's dead-letter queue alone;
        the rest of its batch is applied."""
        log.error("poison event in a batch on %s dead-lettered", self.spec.name)
        self._count("poison")
        await self.broker.publish_raw(
            DEAD_LETTER_EXCHANGE, self.spec.name, body, message_id="", message_type="poison"
        )

    def _count(self, outcome: str, n: int = 1) -> None:
        if n:
            MESSAGES_CONSUMED.labels(self.broker.service, self.spec.name, outcome).inc(n)

    async def run(self) -> None:
        """Apply deliveries forever, one worker per lane (start() first)."""
        await asyncio.gather(*(self._work(lane) for lane in self._lanes))

    async def _work(self, lane: asyncio.Queue[Delivery]) -> None:
        while True:
            batch = [await lane.get()]
            self._busy += 1
            if self.linger and lane.qsize() < self.max_batch - 1:
                await asyncio.sleep(self.linger)  # let the deliveries of this moment join
            while len(batch) < self.max_batch and not lane.empty():
                batch.append(lane.get_nowait())
            CONSUMER_BATCH.labels(self.broker.service, self.spec.name).observe(len(batch))
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

    async def _process(self, deliveries: list[Delivery]) -> None:
        if not deliveries:
            return
        try:
            await self._apply_with_backoff(lambda uow: self._apply(uow, deliveries))
        except Exception:
            log.exception("batch of %d on %s failed", len(deliveries), self.spec.name)
            if len(deliveries) == 1:
                await self._nack(deliveries)
            else:
                await self._apply_isolated(deliveries)
            return
        await self._acked(deliveries)

    def _wanted(self, envelope: Envelope, payload: Payload) -> bool:
        if envelope.type not in self.handlers:
            return False
        return self.wants is None or self.wants(envelope, payload)

    async def _acked(self, deliveries: Sequence[Delivery]) -> None:
        """Settle the messages these applied deliveries completed (one ack frame for the
        batch where possible; a message one of whose events failed earlier is nacked)."""
        settled = [d.settlement for d in deliveries if d.settlement.finish(ok=True)]
        for settlement in settled:
            if settlement.failed:
                await self._acks.nack(settlement.message)
        await self._acks.ack([s.message for s in settled if not s.failed])
        self._count("ok", len(deliveries))

    async def _apply_isolated(self, deliveries: list[Delivery]) -> None:
        """After a failed batch: one transaction again, each message in a savepoint of its
        own; what fails is rolled back alone and nacked, the rest commits and is acked."""
        try:
            failed = await self._apply_with_backoff(lambda uow: self._apply_each(uow, deliveries))
        except Exception:  # not a message's fault (say, the commit failed): all come back
            log.exception("batch of %d on %s failed again", len(deliveries), self.spec.name)
            failed = deliveries
        await self._nack(failed)
        failed_ids = {id(delivery) for delivery in failed}
        await self._acked([delivery for delivery in deliveries if id(delivery) not in failed_ids])

    async def _nack(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            log.error(
                "handler failed for %s %s (delivery %s); nacked",
                delivery.envelope.type,
                delivery.envelope.message_id,
                delivery.settlement.delivery_count,
            )
            MESSAGES_FAILED.labels(self.broker.service, self.spec.name).inc()
            if delivery.settlement.finish(ok=False):
                await self._acks.nack(delivery.settlement.message)

    async def _apply_with_backoff(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        backoff = 0.05
        while True:
            try:
                return await run_unit(self.db, work)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("database unavailable while consuming %s: %r", self.spec.name, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    async def _apply(self, uow: UnitOfWork, deliveries: list[Delivery]) -> None:
        fresh = await self._first_deliveries(uow, deliveries)
        await apply_batch(uow, self.handlers, [d.event for d in fresh])

    async def _apply_each(self, uow: UnitOfWork, deliveries: list[Delivery]) -> list[Delivery]:
        """Apply each delivery in a savepoint; returns those that failed."""
        pg = await uow.pg()
        failed = []
        for delivery in deliveries:
            mark = uow.mark()
            try:
                # asyncpg's savepoint, sent at once: SQLAlchemy's begin_nested() sends its
                # SAVEPOINT only with the session's next statement, after a raw one
                async with pg.transaction():
                    if await self._first_deliveries(uow, [delivery]):
                        await apply_batch(uow, self.handlers, [delivery.event])
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.warning(
                    "%s %s failed: %r", delivery.envelope.type, delivery.envelope.message_id, exc
                )
                uow.discard_since(mark)
                failed.append(delivery)
        return failed

    async def _first_deliveries(
        self, uow: UnitOfWork, deliveries: list[Delivery]
    ) -> list[Delivery]:
        """Records the batch in the inbox with one statement; returns, in order, the
        deliveries seen for the first time (a redelivery, or a second copy inside the
        batch, is left out)."""
        fresh = await record_in_inbox(
            await uow.pg(), self.name, [d.envelope.message_id for d in deliveries]
        )
        return list(_firsts(deliveries, fresh))


def _firsts(deliveries: Sequence[Delivery], fresh: set[UUID]) -> Iterator[Delivery]:
    for delivery in deliveries:
        if delivery.envelope.message_id in fresh:
            fresh.discard(delivery.envelope.message_id)
            yield delivery


async def record_in_inbox(
    pg: asyncpg.Connection, consumer: str, message_ids: Sequence[UUID]
) -> set[UUID]:
    """Records ``message_ids`` as seen by ``consumer`` with one statement; returns those
    it had not seen before."""
    return {row[0] for row in await pg.fetch(_RECORD, consumer, list(message_ids))}


# One prepared statement whatever the batch size.
_RECORD = """
INSERT INTO inbox (consumer, message_id) SELECT $1, unnest($2::uuid[])
ON CONFLICT DO NOTHING RETURNING message_id
"""
