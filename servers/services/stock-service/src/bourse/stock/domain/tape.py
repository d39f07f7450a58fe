"""What a batch of trades does to a symbol's candles, last trade and published price,
applied in message order to in-memory copies of the locked rows (ARCHITECTURE §4a): the
same as applying them one by one, the store then writing each table once.

* every trade new to the tape goes into each interval's candle of its time;
* a trade later than the symbol's last one (by position: journal epoch, then seq) becomes
  the last trade and the last price; the price is announced when its throttle slot has
  come, otherwise it waits (``price_pending``) for the next slot.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from bourse.contracts.events import PriceChanged, TradeExecuted
from bourse.contracts.times import as_utc
from bourse.stock.domain.candles import Candle, CandleKey, Tick, apply_tick, buckets_of, position
from bourse.stock.domain.prices import publish_due


@dataclass
class Last:
    """A symbol's last trade and price as its instruments and quotes rows hold them."""

    price: Decimal | None
    seq: int | None
    epoch: UUID | None
    at: datetime | None
    published_at: datetime | None
    pending: bool
    size: Decimal | None = None
    newest_ts: datetime | None = None  # the newest time of a trade taken as last here
    changed: bool = False


@dataclass
class Tape:
    last: dict[str, Last]  # every known symbol of the batch
    candles: dict[str, dict[CandleKey, Candle]]  # stored candles of the batch's buckets
    changed_candles: set[tuple[str, CandleKey]] = field(default_factory=set)

    def record(
        self, trade: TradeExecuted, throttle: timedelta, now: datetime
    ) -> list[PriceChanged]:
        """Apply one trade new to the tape; returns the price it announces, if any."""
        tick = Tick(trade.price, trade.qty, trade.seq, as_utc(trade.ts), trade.epoch)
        symbol_candles = self.candles.setdefault(trade.symbol, {})
        for candle in apply_tick(tick, symbol_candles):
            key = (candle.interval, candle.start)
            symbol_candles[key] = candle
            self.changed_candles.add((trade.symbol, key))
        last = self.last[trade.symbol]
        if last.seq is not None and tick.position <= position(last.epoch, last.seq):
            return []
        return _take_last(last, trade, tick.ts, throttle, now)


def _take_last(
    last: Last, trade: TradeExecuted, ts: datetime, throttle: timedelta, now: datetime
) -> list[PriceChanged]:
    due = publish_due(last.published_at, now, throttle)
    last.price, last.size, last.seq, last.epoch, last.at = (
        trade.price, trade.qty, trade.seq, trade.epoch, ts,
    )  # fmt: skip
    last.newest_ts = ts if last.newest_ts is None else max(last.newest_ts, ts)
    last.pending = not due
    last.published_at = now if due else last.published_at
    last.changed = True
    if not due:
        return []
    return [PriceChanged(symbol=trade.symbol, price=trade.price, ts=ts)]


def buckets_of_trades(trades: list[TradeExecuted]) -> set[tuple[str, CandleKey]]:
    """(symbol, candle key) of every candle the trades fall in."""
    return {(t.symbol, key) for t in trades for key in buckets_of(as_utc(t.ts))}
