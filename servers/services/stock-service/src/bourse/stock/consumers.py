"""What stock-service consumes: the exchange's market data (trades and books), and its
shards' start announcements (a shard that starts, perhaps from an empty journal, learns
every instrument again from stock-service's re-announcement)."""

from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts import Envelope
from bourse.contracts.events import BookChanged, ExchangeStarted, TradeExecuted
from bourse.contracts.topology import EXCHANGE, MARKET, STARTED_BINDING
from bourse.messaging.runtime import Subscription
from bourse.messaging.topology import Binding, QueueSpec
from bourse.stock.config import Settings
from bourse.stock.handlers import events
from bourse.stock.handlers.http import announce_instruments

QUEUE = "stock.market"
# "#", not "*": symbols may contain dots (BRK.B -> market.trade.BRK.B).
BINDINGS = (
    Binding(MARKET, "market.trade.#"),
    Binding(MARKET, "market.book.#"),
    Binding(EXCHANGE, STARTED_BINDING),
)


def market_subscription(settings: Settings) -> Subscription:
    async def on_exchange_started(session: AsyncSession, _envelope: Envelope, _: Any) -> None:
        await announce_instruments(session)

    return Subscription(
        QueueSpec(settings.queue_prefix + QUEUE, BINDINGS),
        {ExchangeStarted.TYPE: on_exchange_started},
        batch=dict.fromkeys(  # one handler: a batch's trades and books lock rows together
            (TradeExecuted.TYPE, BookChanged.TYPE),
            partial(events.on_market, settings.price_publish_interval),
        ),
    )
