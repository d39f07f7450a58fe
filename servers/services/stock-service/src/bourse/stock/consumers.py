"""What stock-service consumes: the exchange's market data (trades and books), and its
shards' start announcements (a shard that starts, perhaps from an empty journal, learns
every instrument again from stock-service's re-announcement)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts import Envelope
from bourse.contracts.events import BookChanged, ExchangeStarted, TradeExecuted
from bourse.contracts.topology import EXCHANGE, MARKET, STARTED_BINDING
from bourse.messaging.runtime import Subscription
from bourse.messaging.topology import Binding, QueueSpec
from bourse.stock import market
from bourse.stock.config import Settings
from bourse.stock.handlers import announce_instruments

QUEUE = "stock.market"
# "#", not "*": symbols may contain dots (BRK.B -> market.trade.BRK.B).
BINDINGS = (
    Binding(MARKET, "market.trade.#"),
    Binding(MARKET, "market.book.#"),
    Binding(EXCHANGE, STARTED_BINDING),
)


def market_subscription(settings: Settings) -> Subscription:
    throttle = settings.price_publish_interval

    async def on_trade(session: AsyncSession, _envelope: Envelope, trade: Any) -> None:
        assert isinstance(trade, TradeExecuted)
        await market.trade_executed(session, trade, throttle)

    async def on_book(session: AsyncSession, _envelope: Envelope, book: Any) -> None:
        assert isinstance(book, BookChanged)
        await market.book_changed(session, book)

    async def on_exchange_started(session: AsyncSession, _envelope: Envelope, _: Any) -> None:
        await announce_instruments(session)

    return Subscription(
        QueueSpec(settings.queue_prefix + QUEUE, BINDINGS),
        {
            TradeExecuted.TYPE: on_trade,
            BookChanged.TYPE: on_book,
            ExchangeStarted.TYPE: on_exchange_started,
        },
        workers=2,
        partition_key=lambda payload: str(payload.get("symbol") or ""),  # order per symbol
    )
