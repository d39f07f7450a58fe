"""RabbitMQ topology: durable topic exchanges per domain, quorum work queues with bounded
redelivery into a per-queue dead-letter queue, and per-instance fan-out queues."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractQueue, ExchangeType

from bourse.contracts.topology import ALL_EXCHANGES, DEAD_LETTER_EXCHANGE

log = logging.getLogger(__name__)
DEFAULT_DELIVERY_LIMIT = 5  # redeliveries before a message is dead-lettered


@dataclass(frozen=True)
class Binding:
    exchange: str
    routing_key: str


def dead_letter_queue_of(queue: str) -> str:
    return f"{queue}.dlq"


@dataclass(frozen=True)
class QueueSpec:
    """A durable work queue shared by all instances of a consumer (competing consumers)."""

    name: str
    bindings: Sequence[Binding]
    delivery_limit: int = DEFAULT_DELIVERY_LIMIT
    single_active_consumer: bool = False  # strict order across instances (exchange shards)
    extra_arguments: dict[str, Any] = field(default_factory=dict)
    # bindings of earlier releases, removed on declare: a binding is never dropped by
    # merely no longer declaring it, and a stale one keeps delivering what nobody handles
    retired: Sequence[Binding] = ()

    @property
    def dead_letter_queue(self) -> str:
        return dead_letter_queue_of(self.name)

    def arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {
            "x-queue-type": "quorum",
            "x-delivery-limit": self.delivery_limit,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": self.name,
        }
        if self.single_active_consumer:
            args["x-single-active-consumer"] = True
        return args | self.extra_arguments


async def declare_exchanges(channel: AbstractChannel) -> None:
    for name in ALL_EXCHANGES:
        await channel.declare_exchange(name, ExchangeType.TOPIC, durable=True)
    await channel.declare_exchange(DEAD_LETTER_EXCHANGE, ExchangeType.DIRECT, durable=True)


async def declare_queue(channel: AbstractChannel, spec: QueueSpec) -> AbstractQueue:
    """The queue, its bindings, and its dead-letter queue (a quorum queue as well)."""
    dlq = await channel.declare_queue(
        spec.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await dlq.bind(DEAD_LETTER_EXCHANGE, routing_key=spec.name)
    queue = await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments())
    for binding in spec.bindings:
        await queue.bind(binding.exchange, routing_key=binding.routing_key)
    for binding in spec.retired:  # unbinding what is not bound is a no-op
        await queue.unbind(binding.exchange, routing_key=binding.routing_key)
    return queue


async def delete_retired_queue(channel: AbstractChannel, name: str) -> None:
    """Delete the work queue ``name`` of an earlier release and its dead-letter queue, if
    they exist (deleting a missing queue is a no-op), with whatever they still hold."""
    for queue in (name, dead_letter_queue_of(name)):
        deleted = await channel.queue_delete(queue)
        if deleted.message_count:
            log.warning("retired queue %s deleted with %d messages", queue, deleted.message_count)


async def declare_fanout_queue(
    channel: AbstractChannel, bindings: Sequence[Binding]
) -> AbstractQueue:
    """A server-named, exclusive, auto-delete queue: this instance's copy of a feed."""
    queue = await channel.declare_queue(
        "", exclusive=True, auto_delete=True, arguments={"x-expires": 60_000}
    )
    for binding in bindings:
        await queue.bind(binding.exchange, routing_key=binding.routing_key)
    return queue


PERSISTENT = aio_pika.DeliveryMode.PERSISTENT
