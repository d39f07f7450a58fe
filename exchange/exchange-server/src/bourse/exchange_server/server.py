"""The daemon of one shard: recovery, then the group-commit loop over the shard's queue.

Per batch of deliveries (up to ``max_batch``, taken as they arrived):

1. decode: poison or misrouted commands are rejected without requeue (-> the DLQ);
2. journal the new ones with ONE fsync, then apply them (:meth:`ShardCore.commit`);
3. publish their messages with confirms, record ``published_upto``;
4. ack the batch (a crash before this redelivers it: the dedupe window drops it);
5. snapshot when due.

The command queue is declared with a single active consumer, and a replica only consumes
once it holds the shard directory's lock and has recovered: one writer, strict order.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Literal

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

from bourse.contracts import Envelope
from bourse.contracts.topology import (
    DEAD_LETTER_EXCHANGE,
    EXCHANGE,
    MARKET,
    shard_binding,
    shard_queue,
)
from bourse.exchange_server import metrics
from bourse.exchange_server.config import Settings
from bourse.exchange_server.core import ShardCore
from bourse.exchange_server.intake import CommandIn, Inbound, decode_commands, decode_instrument
from bourse.exchange_server.publisher import publish_all
from bourse.exchange_server.reports import Outgoing, started
from bourse.messaging.broker import Broker
from bourse.messaging.topology import Binding, QueueSpec, declare_fanout_queue, declare_queue
from bourse.messaging.wire import PoisonMessageError

log = logging.getLogger(__name__)

Source = Literal["command", "instrument"]
Publish = Callable[[Sequence[Outgoing]], Awaitable[None]]
STOP_GRACE = 10.0  # seconds a graceful stop waits for the batch in progress


def command_queue(settings: Settings) -> QueueSpec:
    return QueueSpec(
        f"{settings.queue_prefix}{shard_queue(settings.shard)}",
        [Binding(EXCHANGE, shard_binding(settings.shard))],
        single_active_consumer=True,
    )


async def declare(settings: Settings) -> None:
    """Declare the exchanges and this shard's command queue (and DLQ), then disconnect:
    so commands can be routed before the shard first starts."""
    broker = Broker(settings.amqp_url, settings.service_name)
    await broker.connect()
    try:
        channel = await broker.channel()
        await declare_queue(channel, command_queue(settings))
        await channel.close()
    finally:
        await broker.close()


class ExchangeServer:
    def __init__(self, settings: Settings, *, publish: Publish | None = None) -> None:
        self.settings = settings
        self.broker = Broker(settings.amqp_url, settings.service_name)
        self.core = ShardCore(
            settings.shard_dir,
            settings.shard,
            settings.shards,
            snapshot_every=settings.snapshot_every,
            depth=settings.book_depth,
        )
        self._publish: Publish = publish or partial(publish_all, self.broker)
        self._pending: asyncio.Queue[tuple[Source, AbstractIncomingMessage]] = asyncio.Queue()
        self._channels: list[AbstractChannel] = []
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._busy = asyncio.Lock()
        self._loop: asyncio.Task[None] | None = None
        self._loop_watchers: list[Callable[[asyncio.Task[None]], object]] = []
        self._label = str(settings.shard)
        self.recovered = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Recover, connect, listen to instrument announcements, re-publish what may be
        missing and announce the journal (its epoch: consumers learn of a new journal
        before it reports anything, and stock-service re-announces every instrument, which
        an empty journal does not know), then consume."""
        unpublished = await self.core.open()
        await self.broker.connect()
        await self._subscribe_instruments()  # buffered in _pending until the loop runs
        await self._publish_batch([*unpublished, started(self.core.state)], self.core.state.seq)
        self._loop = asyncio.create_task(self._run(), name=f"exchange shard {self._label}")
        for watcher in self._loop_watchers:
            self._loop.add_done_callback(watcher)
        await self._subscribe_commands()
        self.recovered = True
        state = self.core.state
        log.info("shard %d consuming at seq %d of journal %s", state.shard, state.seq, state.epoch)

    async def _subscribe_instruments(self) -> None:
        feed = await self.broker.channel()
        self._channels.append(feed)
        instruments = await declare_fanout_queue(feed, [Binding(MARKET, "instrument.changed.*")])
        tag = await instruments.consume(partial(self._receive, "instrument"), no_ack=True)
        self._consumers.append((instruments, tag))

    async def _subscribe_commands(self) -> None:
        commands = await self.broker.channel(prefetch=self.settings.prefetch)
        self._channels.append(commands)
        queue = await declare_queue(commands, command_queue(self.settings))
        self._consumers.append((queue, await queue.consume(partial(self._receive, "command"))))

    async def _receive(self, source: Source, message: AbstractIncomingMessage) -> None:
        self._pending.put_nowait((source, message))

    async def stop(self, *, graceful: bool = True) -> None:
        """Stop consuming. Graceful: finish the batch in progress first. Otherwise this is
        what a crash looks like: what is journaled but unacked comes back and is deduped."""
        if graceful:
            await self._drain()
        for channel in self._channels:
            with contextlib.suppress(Exception):
                await channel.close()  # unacked deliveries go back to the queue
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.broker.close()
        self.core.close()
        self.recovered = False
        log.info("shard %d stopped at journal seq %d", self.settings.shard, self.core.state.seq)

    async def _drain(self) -> None:
        for queue, tag in self._consumers:
            with contextlib.suppress(Exception):
                await queue.cancel(tag)
        if self._loop is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STOP_GRACE), self._busy:
                    self._loop.cancel()  # between batches: nothing half done

    def on_loop_done(self, callback: Callable[[asyncio.Task[None]], object]) -> None:
        """Call ``callback`` when the command loop ends (a crash, or the stop)."""
        self._loop_watchers.append(callback)

    async def check_ready(self) -> None:
        """Readiness: recovered, the loop alive, the broker connected."""
        if not self.recovered:
            raise RuntimeError("recovering")
        if self._loop is None or self._loop.done():
            raise RuntimeError("the command loop is not running")
        await self.broker.ping()

    # ------------------------------------------------------------------ the loop

    async def _run(self) -> None:
        while True:
            batch = [await self._pending.get()]
            while len(batch) < self.settings.max_batch and not self._pending.empty():
                batch.append(self._pending.get_nowait())
            async with self._busy:
                await self._process(batch)

    async def _process(self, batch: list[tuple[Source, AbstractIncomingMessage]]) -> None:
        inbound: list[Inbound] = []
        to_ack: list[AbstractIncomingMessage] = []
        for source, message in batch:
            items = await self._accept(source, message)
            if items is not None:
                inbound += items
                if source == "command":
                    to_ack.append(message)
        commit = await self.core.commit(inbound)
        received = sum(isinstance(item, CommandIn) for item in inbound)
        commands = metrics.COMMANDS
        commands.labels(self._label, "applied").inc(received - commit.duplicates)
        commands.labels(self._label, "duplicate").inc(commit.duplicates)
        await self._publish_batch(commit.messages, commit.seq)
        await _ack(to_ack)
        await self.core.snapshot_if_due()

    async def _accept(
        self, source: Source, message: AbstractIncomingMessage
    ) -> list[Inbound] | None:
        """What the delivery brings to journal; None when it was refused as a whole
        (dead-lettered, or an instrument announcement ignored). An item of a batch that
        cannot be applied is dead-lettered alone, and the rest is kept."""
        try:
            if source == "instrument":
                return [decode_instrument(message.body)]
            commands, poison = decode_commands(message)
        except PoisonMessageError as exc:
            await self._refuse(source, message, "poison", str(exc))
            return None
        for body in poison:
            await self._dead_letter(body, "poison")
        kept: list[Inbound] = []
        for item in commands:
            if self.core.state.owns(item.command.symbol):
                kept.append(item)
            elif len(commands) == 1 and not poison:
                reason = f"{item.command.symbol} is not shard {self.settings.shard}'s"
                await self._refuse(source, message, "misrouted", reason)
                return None
            else:
                await self._dead_letter(_command_body(item), "misrouted")
        return kept

    async def _dead_letter(self, body: bytes, outcome: str) -> None:
        log.error("a command of a batch dead-lettered (%s)", outcome)
        metrics.COMMANDS.labels(self._label, outcome).inc()
        queue = command_queue(self.settings).name
        await self.broker.publish_raw(
            DEAD_LETTER_EXCHANGE, queue, body, message_id="", message_type=outcome
        )

    async def _refuse(
        self, source: Source, message: AbstractIncomingMessage, outcome: str, reason: str
    ) -> None:
        if source == "instrument":
            log.warning("instrument announcement ignored: %s", reason)
            return
        log.error("command %s dead-lettered (%s): %s", message.message_id, outcome, reason)
        metrics.COMMANDS.labels(self._label, outcome).inc()
        with contextlib.suppress(Exception):
            await message.reject(requeue=False)

    async def _publish_batch(self, messages: Sequence[Outgoing], seq: int) -> None:
        if messages:
            start = time.perf_counter()
            await self._publish(messages)
            metrics.PUBLISH_SECONDS.labels(self._label).observe(time.perf_counter() - start)
        self.core.mark_published(seq)


async def _ack(messages: list[AbstractIncomingMessage]) -> None:
    """One multiple-ack per channel, on its last delivery: every earlier delivery of that
    channel is in this batch or settled already. A channel lost since is not an error:
    its deliveries come back and are dropped as duplicates."""
    last: dict[int, AbstractIncomingMessage] = {}
    for message in messages:
        last[id(message.channel)] = message
    for message in last.values():
        try:
            await message.ack(multiple=True)
        except Exception as exc:
            log.warning("ack failed (deliveries will be redelivered and deduped): %r", exc)


def _command_body(item: CommandIn) -> bytes:
    envelope = Envelope(
        message_id=item.message_id,
        type=item.command.TYPE,
        correlation_id=item.correlation_id,
        payload=item.command.model_dump(mode="json"),
    )
    return envelope.to_bytes()
