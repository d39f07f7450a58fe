"""Publishing a batch's messages with confirms, pipelined.

All publishes of a batch start in list order on the broker's one confirm channel and are
awaited together. aiormq writes a channel's publishes under a FIFO lock, in the order
they start, and the broker keeps a channel's order into each queue: so the per-symbol
order of the list is the order on the wire, without waiting for each confirm in turn.

A message that fails is published again (same message id: a duplicate for consumers)
until it is confirmed, with backoff: the batch's deliveries are acked only after that.
What "fails" means is the broker's policy (bourse.messaging): a nack, a lost connection,
or no queue for a type that requires one (execution reports); market data that nobody
subscribes to is simply not delivered.

Batches (ARCHITECTURE §4a): the messages of one exchange, routing key and type in a
journal batch travel as ONE message carrying their envelopes in order
(bourse.messaging.wire), so a symbol's reports of a batch are one delivery to
order-service, its trades one to stock-service. Each envelope keeps its own id, so a
re-publish after a crash, however it is cut, is deduped event by event.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bourse.exchange_server.reports import Outgoing
from bourse.messaging.broker import Broker
from bourse.messaging.wire import BATCH_HEADER, batch_body

log = logging.getLogger(__name__)

MAX_BACKOFF = 5.0
WINDOW = 1000  # messages in flight at most
EVENTS_PER_MESSAGE = 100


@dataclass(frozen=True, slots=True)
class Batch:
    """Envelopes of one exchange, routing key and type, in order: one AMQP message."""

    exchange: str
    routing_key: str
    items: tuple[Outgoing, ...]

    async def publish(self, broker: Broker) -> None:
        first = self.items[0].envelope
        if len(self.items) == 1:
            await broker.publish_envelope(self.exchange, self.routing_key, first)
            return
        await broker.publish_raw(
            self.exchange,
            self.routing_key,
            batch_body([item.envelope.to_bytes() for item in self.items]),
            message_id=str(first.message_id),
            message_type=first.type,
            correlation_id=first.correlation_id,
            headers={BATCH_HEADER: len(self.items)},
        )


def batches(messages: Sequence[Outgoing]) -> list[Batch]:
    """The messages grouped by exchange, routing key and type (each group in list order),
    at most EVENTS_PER_MESSAGE each; the groups in the order of their LAST message, so
    that what came last in the journal still arrives last."""
    groups: dict[tuple[str, str, str], list[Outgoing]] = {}
    last: dict[tuple[str, str, str], int] = {}
    for index, message in enumerate(messages):
        key = (message.exchange, message.routing_key, message.envelope.type)
        groups.setdefault(key, []).append(message)
        last[key] = index
    out: list[Batch] = []
    for key in sorted(groups, key=last.__getitem__):
        exchange, routing_key, _ = key
        group = groups[key]
        out += [
            Batch(exchange, routing_key, tuple(group[start : start + EVENTS_PER_MESSAGE]))
            for start in range(0, len(group), EVENTS_PER_MESSAGE)
        ]
    return out


async def publish_all(broker: Broker, messages: Sequence[Outgoing]) -> None:
    """Publish in windows (a long re-publish after recovery must not race the confirm
    timeout); a window is confirmed whole before the next starts, so order holds."""
    grouped = batches(messages)
    for start in range(0, len(grouped), WINDOW):
        await _publish_window(broker, grouped[start : start + WINDOW])


async def _publish_window(broker: Broker, messages: Sequence[Batch]) -> None:
    pending = list(messages)
    backoff = 0.05
    while pending:
        results = await asyncio.gather(
            *(batch.publish(broker) for batch in pending), return_exceptions=True
        )
        failed = [(m, r) for m, r in zip(pending, results, strict=True) if _failed(r)]
        if failed:
            log.warning(
                "%d of %d messages not confirmed, retrying in %.2fs: %r",
                len(failed),
                len(pending),
                backoff,
                failed[0][1],
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
        pending = [message for message, _ in failed]


def _failed(result: object) -> bool:
    """True when the publish that returned ``result`` must be done again."""
    if not isinstance(result, BaseException):
        return False
    if not isinstance(result, Exception | asyncio.CancelledError):
        raise result
    task = asyncio.current_task()
    if isinstance(result, asyncio.CancelledError) and task is not None and task.cancelling():
        raise result  # this task is being stopped
    return True
