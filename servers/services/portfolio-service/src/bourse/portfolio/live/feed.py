"""This instance's own copy of the events that drive the WebSocket pushes: an exclusive,
auto-delete fan-out queue (ARCHITECTURE section 4) bound to every symbol's price and to
``portfolio.updated``, so that every instance sees every event whichever instance a
client is connected to. Consumed without acks: it carries nothing that the database
does not hold (a lost message is corrected by the next one or the next reload)."""

import asyncio
import contextlib
import logging
from typing import Any
from uuid import UUID

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from bourse.contracts.events import PortfolioUpdated, PriceChanged
from bourse.contracts.times import as_utc
from bourse.contracts.topology import MARKET, PORTFOLIO
from bourse.messaging.broker import Broker
from bourse.messaging.topology import Binding, declare_fanout_queue
from bourse.messaging.wire import PoisonMessageError, decode
from bourse.portfolio.domain.valuation import Quote
from bourse.portfolio.live.hub import Hub

log = logging.getLogger(__name__)
BINDINGS = (Binding(MARKET, "market.price.#"), Binding(PORTFOLIO, "portfolio.updated"))


class LiveFeed:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._channel: AbstractChannel | None = None
        self._reloads: set[asyncio.Task[None]] = set()

    async def start(self, broker: Broker) -> None:
        self._channel = await broker.channel()
        queue = await declare_fanout_queue(self._channel, BINDINGS)
        await queue.consume(self._on_message, no_ack=True)
        assert broker.connection is not None
        broker.connection.reconnect_callbacks.add(self._on_reconnect)

    async def stop(self) -> None:
        for task in self._reloads:
            task.cancel()
        await asyncio.gather(*self._reloads, return_exceptions=True)
        if self._channel is not None:
            with contextlib.suppress(Exception):
                await self._channel.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        """Prices go to the hub as they come; the portfolios a message (a batch of
        updates) says changed are reloaded once each, whatever the number of updates."""
        try:
            decoded, poison = decode(message)
        except PoisonMessageError as exc:
            log.warning("undecodable message on the live feed ignored: %s", exc)
            return
        if poison:
            log.warning("%d undecodable events on the live feed ignored", len(poison))
        changed: dict[UUID, None] = {}  # in order, once each
        for item in decoded:
            payload = item.payload
            if isinstance(payload, PriceChanged):
                self.hub.price_changed(payload.symbol, Quote(payload.price, as_utc(payload.ts)))
            elif isinstance(payload, PortfolioUpdated):
                changed[payload.user_id] = None
        for user_id in changed:
            try:
                await self.hub.portfolio_changed(user_id)
            except Exception:
                log.exception("could not reload the portfolio of %s", user_id)

    def _on_reconnect(self, *_: Any) -> None:
        task = asyncio.create_task(self.hub.refresh_all(), name="live feed refresh")
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)
