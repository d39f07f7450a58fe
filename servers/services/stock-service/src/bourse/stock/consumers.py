"""What stock-service consumes: the exchange's market data (trades and books)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts import Envelope
from bourse.contracts.events import BookChanged, TradeExecuted
from bourse.contracts.topology import MARKET
from bourse.messaging.runtime import Subscription
from bourse.messaging.topology import Binding, QueueSpec
from bourse.stock import market
from bourse.stock.config import Settings

QUEUE = "stock.market"
# "#", not "*": symbols may contain dots (BRK.B -> market.trade.BRK.B).
BINDINGS = (Binding(MARKET, "market.trade.#"), Binding(MARKET, "market.book.#"))


def market_subscription(settings: Settings) -> Subscription:
    throttle = settings.price_publish_interval

    async def on_trade(session: AsyncSession, _envelope: Envelope, trade: Any) -> None:
        assert isinstance(trade, TradeExecuted)
        await market.trade_executed(session, trade, throttle)

    async def on_book(session: AsyncSession, _envelope: Envelope, book: Any) -> None:
        assert isinstance(book, BookChanged)
        await market.book_changed(session, book)

    return Subscription(
        QueueSpec(settings.queue_prefix + QUEUE, BINDINGS),
        {TradeExecuted.TYPE: on_trade, BookChanged.TYPE: on_book},
        workers=2,
        partition_key=lambda payload: str(payload.get("symbol") or ""),  # order per symbol
    )
