"""The live market data that /ws/market streams, as pure state machines fed by the
exchange's own events (market.book / market.trade) in their order.

* :class:`LiveBook`: one symbol's book as the exchange last published it (its top levels,
  ``BOURSE_EXCHANGE_BOOK_DEPTH`` per side). Each newer BookChanged (by journal epoch, then
  seq) is a whole depth; what a client needs is the difference: the levels whose total
  changed, "0" for a level that left. Each non-empty difference is one update, numbered
  +1 per symbol, so a client that applies every update to the snapshot holds exactly the
  published book, and a gap in the numbers tells it that it missed one.
* :class:`LiveBar`: one symbol's 1-minute bar, built like the stored candles (the same
  :class:`~bourse.stock.domain.candles.Candle`), closed when a trade of a later minute
  comes or when its minute is over (the caller's timer).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from bourse.stock.domain.book import Level
from bourse.stock.domain.candles import Candle, Position, Tick, bucket_start

Levels = dict[Decimal, Decimal]  # price -> total qty
BAR_INTERVAL = "1m"
BAR_WIDTH = timedelta(minutes=1)
ZERO = Decimal(0)


def level_changes(before: Mapping[Decimal, Decimal], after: Mapping[Decimal, Decimal]) -> Levels:
    """The levels whose total differs from ``before`` to ``after``; a level gone is 0."""
    changed = {price: qty for price, qty in after.items() if before.get(price) != qty}
    changed.update({price: ZERO for price in before if price not in after})
    return changed


def best_first(levels: Mapping[Decimal, Decimal], *, bids: bool) -> list[Level]:
    return sorted(levels.items(), key=lambda level: level[0], reverse=bids)


@dataclass(frozen=True)
class BookUpdate:
    seq: int
    bids: list[Level]  # best first; qty 0: the level is gone
    asks: list[Level]
    ts: datetime


@dataclass(frozen=True)
class Top:
    bid: Level | None
    ask: Level | None


@dataclass
class LiveBook:
    """One symbol's published book. ``seq`` counts the updates it has produced."""

    at: Position | None = None  # the exchange position of the depth held
    bids: Levels = field(default_factory=dict)
    asks: Levels = field(default_factory=dict)
    seq: int = 0
    ts: datetime | None = None

    def apply(
        self, at: Position, bids: Sequence[Level], asks: Sequence[Level], ts: datetime
    ) -> BookUpdate | None:
        """Take a newer published depth; the update it makes, None if it changes nothing
        (or is not newer than the depth held: a repeat, or older than the seed)."""
        if self.at is not None and at <= self.at:
            return None
        new_bids = {price: qty for price, qty in bids if qty > 0}
        new_asks = {price: qty for price, qty in asks if qty > 0}
        bid_changes = level_changes(self.bids, new_bids)
        ask_changes = level_changes(self.asks, new_asks)
        self.at, self.bids, self.asks, self.ts = at, new_bids, new_asks, ts
        if not bid_changes and not ask_changes:
            return None
        self.seq += 1
        return BookUpdate(
            self.seq, best_first(bid_changes, bids=True), best_first(ask_changes, bids=False), ts
        )

    def depth(self) -> tuple[list[Level], list[Level]]:
        return best_first(self.bids, bids=True), best_first(self.asks, bids=False)

    def top(self) -> Top:
        bid = max(self.bids.items(), default=None)
        ask = min(self.asks.items(), default=None)
        return Top(bid, ask)


def apply_levels(book: Levels, changes: Sequence[Level]) -> None:
    """What a client does with one side of an update (tests use it to check the stream)."""
    for price, qty in changes:
        if qty == 0:
            book.pop(price, None)
        else:
            book[price] = qty


@dataclass
class LiveBar:
    """One symbol's 1-minute bars: the open one, and where the trades stand."""

    bar: Candle | None = None
    last_trade: Position | None = None  # the newest trade taken (older ones are repeats)
    closed_until: datetime | None = None  # bars before this minute were closed

    def seed(self, candle: Candle | None, last_trade: Position | None) -> None:
        """Start from what the database holds: the open minute's candle and the last trade
        on the tape (trades at or before it are in the candle already)."""
        self.bar = candle
        if last_trade is not None and (self.last_trade is None or last_trade > self.last_trade):
            self.last_trade = last_trade

    def trade(self, tick: Tick) -> tuple[bool, Candle | None]:
        """Take a trade: (whether it is new, the bar it closed if any). A trade of a minute
        already closed is new (it is streamed) but no longer changes a bar."""
        at = tick.position
        if self.last_trade is not None and at <= self.last_trade:
            return False, None
        self.last_trade = at
        start = bucket_start(tick.ts, BAR_INTERVAL)
        if self.closed_until is not None and start < self.closed_until:
            return True, None
        closed = None
        if self.bar is not None and start > self.bar.start:
            closed = self._close()
        self.bar = Candle.first(BAR_INTERVAL, tick) if self.bar is None else self.bar.add(tick)
        return True, closed

    def close_due(self, now: datetime) -> Candle | None:
        """The open bar, closed if its minute ended at or before ``now``."""
        if self.bar is None or self.bar.start + BAR_WIDTH > now:
            return None
        return self._close()

    def _close(self) -> Candle:
        assert self.bar is not None
        closed, self.bar = self.bar, None
        self.closed_until = closed.start + BAR_WIDTH
        return closed
