"""This instance's own copy of the exchange's market data: an exclusive, auto-delete
fan-out queue (ARCHITECTURE section 4) bound to every symbol's market.book and
market.trade, so that any instance serves any /ws/market client. Consumed without acks:
the books are whole depths (the next one corrects a lost one) and the database holds
what the hub is seeded from.

Start-up order: bind the queue first, then read the seed from the database, then consume:
what was published while the seed was read waits in the queue and is applied after it,
by exchange position, so nothing falls between the seed and the stream.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from bourse.contracts.events import BookChanged, TradeExecuted
from bourse.contracts.topology import MARKET
from bourse.messaging.broker import Broker
from bourse.messaging.topology import Binding, declare_fanout_queue
from bourse.messaging.wire import PoisonMessageError, decode
from bourse.stock.live.hub import MarketHub, Seed

log = logging.getLogger(__name__)
BINDINGS = (Binding(MARKET, "market.trade.#"), Binding(MARKET, "market.book.#"))
SeedLoader = Callable[[], Awaitable[Seed]]


class MarketFeed:
    def __init__(self, hub: MarketHub, load_seed: SeedLoader) -> None:
        self.hub = hub
        self._load_seed = load_seed
        self._channel: AbstractChannel | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, broker: Broker) -> None:
        self._channel = await broker.channel()
        queue = await declare_fanout_queue(self._channel, BINDINGS)
        self.hub.seed(await self._load_seed())
        await queue.consume(self._on_message, no_ack=True)
        assert broker.connection is not None
        broker.connection.reconnect_callbacks.add(self._on_reconnect)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._channel is not None:
            with contextlib.suppress(Exception):
                await self._channel.close()

    def spawn(self, work: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(work)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            decoded, poison = decode(message)
        except PoisonMessageError as exc:
            log.warning("undecodable message on the market feed ignored: %s", exc)
            return
        if poison:
            log.warning("%d undecodable events on the market feed ignored", len(poison))
        for item in decoded:
            payload = item.payload
            if isinstance(payload, BookChanged):
                self.hub.book_changed(payload)
            elif isinstance(payload, TradeExecuted):
                self.hub.trade(payload)

    def _on_reconnect(self, *_: Any) -> None:
        """The queue lost what was published while the connection was down: take the
        database's books again (newer ones become updates to the clients)."""
        self.spawn(self._reseed(), "market feed reseed")

    async def _reseed(self) -> None:
        try:
            self.hub.seed(await self._load_seed())
        except Exception:
            log.exception("could not reload the market data after a reconnect")


async def close_bars_forever(
    hub: MarketHub, grace: timedelta, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> None:
    """Close each minute's bars when the minute is over (``grace`` later, for the trades
    of its last moments still on their way), even when no trade comes."""
    while True:
        now = clock()
        next_minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        await asyncio.sleep((next_minute + grace - now).total_seconds())
        try:
            # the minute slept for, not the clock read again: a wake-up a few microseconds
            # early by the wall clock (the sleep runs on the monotonic one) must close it too
            hub.close_bars(next_minute)
        except Exception:
            log.exception("closing the minute's bars failed")
