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
"""

import asyncio
import logging
from collections.abc import Sequence

from bourse.exchange_server.reports import Outgoing
from bourse.messaging.broker import Broker

log = logging.getLogger(__name__)

MAX_BACKOFF = 5.0
WINDOW = 1000  # messages in flight at most


async def publish_all(broker: Broker, messages: Sequence[Outgoing]) -> None:
    """Publish in windows (a long re-publish after recovery must not race the confirm
    timeout); a window is confirmed whole before the next starts, so order holds."""
    for start in range(0, len(messages), WINDOW):
        await _publish_window(broker, messages[start : start + WINDOW])


async def _publish_window(broker: Broker, messages: Sequence[Outgoing]) -> None:
    pending = list(messages)
    backoff = 0.05
    while pending:
        results = await asyncio.gather(
            *(broker.publish_envelope(m.exchange, m.routing_key, m.envelope) for m in pending),
            return_exceptions=True,
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
