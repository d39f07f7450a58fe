"""The connection to RabbitMQ: robust (reconnects and restores channels, queues and
consumers), a publishing channel with confirms, and unroutable messages as errors."""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection

from bourse.common.metrics import MESSAGES_PUBLISHED, MESSAGES_UNROUTABLE
from bourse.contracts import Envelope
from bourse.contracts.events import Payload
from bourse.contracts.registry import route_required
from bourse.messaging.outbox import envelope_for
from bourse.messaging.topology import PERSISTENT, declare_exchanges

log = logging.getLogger(__name__)
PUBLISH_TIMEOUT = 10.0


class Broker:
    def __init__(self, url: str, service: str) -> None:
        self.url = url
        self.service = service
        self.connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchanges: dict[str, AbstractExchange] = {}
        self._unrouted: set[tuple[str, str]] = set()  # logged once each

    async def connect(self, attempts: int = 30) -> None:
        """Connect (retrying while the broker is still starting) and declare exchanges."""
        for attempt in range(1, attempts + 1):
            try:
                self.connection = await aio_pika.connect_robust(
                    self.url, client_properties={"connection_name": self.service}
                )
                break
            except (ConnectionError, OSError, aio_pika.exceptions.AMQPConnectionError):
                if attempt == attempts:
                    raise
                log.warning("broker not reachable, retrying (%d/%d)", attempt, attempts)
                await asyncio.sleep(min(0.2 * attempt, 2.0))
        self._channel = await self.channel()
        await declare_exchanges(self._channel)

    async def channel(self, prefetch: int | None = None) -> AbstractChannel:
        assert self.connection is not None, "connect() first"
        channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        if prefetch is not None:
            await channel.set_qos(prefetch_count=prefetch)
        return channel

    async def _exchange(self, name: str) -> AbstractExchange:
        if self._channel is None or self._channel.is_closed:
            await self._reopen()
        exchange = self._exchanges.get(name)
        if exchange is None:
            assert self._channel is not None, "connect() first"
            exchange = await self._channel.get_exchange(name, ensure=False)
            self._exchanges[name] = exchange
        return exchange

    async def _reopen(self) -> None:
        """A fresh publishing channel: the robust connection restores its channels after a
        reconnect, but a channel closed on its own (or whose restore failed) stays closed,
        and every publish on it would fail forever."""
        if self.connection is None or self.connection.is_closed:
            raise ConnectionError("broker connection is down")
        log.info("reopening the publishing channel")
        self._exchanges.clear()
        self._channel = await self.channel()

    async def publish_raw(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        message_type: str,
        correlation_id: str | None = None,
        headers: dict[str, Any] | None = None,
    ) -> None:
        """Publish persistently and wait for the broker's confirm. Raises when the broker
        nacks or the connection is down, and when a command (``route_required``) finds no
        queue; an event that no queue is bound to yet is counted and logged instead."""
        message = aio_pika.Message(
            body,
            delivery_mode=PERSISTENT,
            content_type="application/json",
            message_id=message_id,
            type=message_type,
            correlation_id=correlation_id,
            timestamp=datetime.now(UTC),
            headers=headers or {},
        )
        target = await self._exchange(exchange)
        try:
            await target.publish(message, routing_key, mandatory=True, timeout=PUBLISH_TIMEOUT)
        except aio_pika.exceptions.PublishError:
            if route_required(message_type):
                raise
            MESSAGES_UNROUTABLE.labels(self.service, message_type).inc()
            if (exchange, routing_key) not in self._unrouted:  # said once; the metric counts
                self._unrouted.add((exchange, routing_key))
                log.info("no queue bound for %s %s: not delivered", exchange, routing_key)
            return
        MESSAGES_PUBLISHED.labels(self.service, message_type).inc()

    async def publish_envelope(self, exchange: str, routing_key: str, envelope: Envelope) -> None:
        await self.publish_raw(
            exchange,
            routing_key,
            envelope.to_bytes(),
            message_id=str(envelope.message_id),
            message_type=envelope.type,
            correlation_id=envelope.correlation_id,
        )

    async def publish(self, payload: Payload, envelope: Envelope | None = None) -> None:
        """Publish directly (no outbox): for state that lives outside a database
        transaction (the exchange's journal, live feeds)."""
        envelope = envelope or envelope_for(payload)
        await self.publish_envelope(payload.EXCHANGE, payload.routing_key(), envelope)

    async def ping(self) -> None:
        if self.connection is None or self.connection.is_closed:
            raise ConnectionError("broker connection is closed")

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
