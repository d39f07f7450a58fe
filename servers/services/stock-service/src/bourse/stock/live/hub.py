"""The live market this instance serves to /ws/market clients, in memory: every symbol's
published book (:class:`LiveBook`), its open 1-minute bar (:class:`LiveBar`), and who
subscribes to what (``channel -> symbol -> connections``).

Fed by the fan-out queue (live/feed.py) in the exchange's order, and seeded from the
database at start (the stored books at their exchange position, the open minute's candles
and the last trades): a seed is applied like any event, by position, so whatever comes
first, the book held is the newest the exchange published, and every change of it after a
client's snapshot reaches that client as an update. Everything runs on the event loop:
a subscription's snapshot and the updates after it cannot interleave.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import Gauge

from bourse.common.live import AfterTurn
from bourse.contracts.events import BookChanged, TradeExecuted
from bourse.contracts.times import as_utc
from bourse.stock.domain.book import Level
from bourse.stock.domain.candles import Candle, Position, Tick, position
from bourse.stock.domain.live import LiveBar, LiveBook
from bourse.stock.live import frames
from bourse.stock.live.connection import CHANNELS, MarketConnection, flush_all

CONNECTIONS = Gauge("bourse_market_ws_connections", "Open /ws/market connections")
SymbolLoader = Callable[[set[str]], Awaitable[set[str]]]


@dataclass(frozen=True)
class StoredBook:
    at: Position
    bids: list[Level]
    asks: list[Level]
    ts: datetime


@dataclass
class Seed:
    """What the database holds when the feed starts (or reconnects)."""

    symbols: set[str] = field(default_factory=set)
    books: dict[str, StoredBook] = field(default_factory=dict)
    last_trades: dict[str, Position] = field(default_factory=dict)
    bars: dict[str, Candle] = field(default_factory=dict)  # the open minute's candle


Subscribers = dict[str, set[MarketConnection]]


class MarketHub:
    def __init__(self, load_symbols: SymbolLoader) -> None:
        self._load_symbols = load_symbols
        self.symbols: set[str] = set()
        self.books: dict[str, LiveBook] = {}
        self.bars: dict[str, LiveBar] = {}
        self._subscribers: dict[str, Subscribers] = {channel: {} for channel in CHANNELS}
        self._snapshots: dict[str, tuple[int, frames.Frame]] = {}  # symbol -> (seq, frame)
        # the connections' frames of a turn go out right after it
        self.flusher: AfterTurn[MarketConnection] = AfterTurn(flush_all)

    # -- what the database holds ----------------------------------------------------------

    def seed(self, seed: Seed) -> None:
        self.symbols |= seed.symbols
        for symbol, stored in seed.books.items():
            self._apply_book(symbol, stored.at, stored.bids, stored.asks, stored.ts)
        for symbol in seed.symbols:
            if symbol not in self.bars:  # a bar is built from the stream once it runs
                bar = self.bars[symbol] = LiveBar()
                bar.seed(seed.bars.get(symbol), seed.last_trades.get(symbol))

    async def unknown(self, symbols: Iterable[str]) -> set[str]:
        """Those of ``symbols`` that are no instrument (new ones are looked up once)."""
        missing = set(symbols) - self.symbols
        if missing:
            self.symbols |= await self._load_symbols(missing)
        return missing - self.symbols

    # -- the exchange's events ------------------------------------------------------------

    def book_changed(self, event: BookChanged) -> None:
        at = position(event.epoch, event.seq)
        self._apply_book(event.symbol, at, event.bids, event.asks, as_utc(event.ts))

    def trade(self, event: TradeExecuted) -> None:
        bar = self.bars.setdefault(event.symbol, LiveBar())
        tick = Tick(event.price, event.qty, event.seq, as_utc(event.ts), event.epoch)
        new, closed = bar.trade(tick)
        if closed is not None:
            self._publish_bar(event.symbol, closed)
        if new and (subscribers := self._of("trades", event.symbol)):
            self._push(subscribers, frames.trade(event))

    def close_bars(self, now: datetime) -> int:
        """Close (and send) every bar whose minute ended at or before ``now``."""
        closed = 0
        for symbol, bar in self.bars.items():
            if (candle := bar.close_due(now)) is not None:
                self._publish_bar(symbol, candle)
                closed += 1
        return closed

    # -- clients ---------------------------------------------------------------------------

    def joined(self) -> None:
        CONNECTIONS.inc()

    def subscribe(self, connection: MarketConnection, wanted: Mapping[str, set[str]]) -> None:
        """Add ``wanted`` (known symbols) and confirm; a book subscription (a repeated one
        too: that is how a client that saw a gap starts again) gets a snapshot."""
        for channel, symbols in wanted.items():
            connection.subscribed[channel] |= symbols
            index = self._subscribers[channel]
            for symbol in symbols:
                index.setdefault(symbol, set()).add(connection)
        connection.push(frames.subscription(connection.subscribed))
        for symbol in sorted(wanted.get("book", ())):
            connection.push(self._snapshot(symbol))
        for symbol in sorted(wanted.get("quotes", ())):
            book = self.books.get(symbol)
            if book is not None:
                connection.push(frames.quote(symbol, book.top(), book.ts))

    def unsubscribe(self, connection: MarketConnection, unwanted: Mapping[str, set[str]]) -> None:
        self._drop(connection, unwanted)
        connection.push(frames.subscription(connection.subscribed))

    def leave(self, connection: MarketConnection) -> None:
        self._drop(connection, {c: set(s) for c, s in connection.subscribed.items()})
        CONNECTIONS.dec()

    # -- internals ---------------------------------------------------------------------------

    def _apply_book(
        self, symbol: str, at: Position, bids: list[Level], asks: list[Level], ts: datetime
    ) -> None:
        book = self.books.setdefault(symbol, LiveBook())
        top = book.top()
        update = book.apply(at, bids, asks, ts)
        if update is None:
            return
        if subscribers := self._of("book", symbol):
            self._push(subscribers, frames.book_update(symbol, update))
        if book.top() != top and (subscribers := self._of("quotes", symbol)):
            self._push(subscribers, frames.quote(symbol, book.top(), ts))

    def _snapshot(self, symbol: str) -> frames.Frame:
        """The current book as a snapshot frame, encoded once per book version."""
        book = self.books.setdefault(symbol, LiveBook())
        cached = self._snapshots.get(symbol)
        if cached is None or cached[0] != book.seq:
            cached = self._snapshots[symbol] = (
                book.seq, frames.book_snapshot(symbol, *book.depth(), book.seq),
            )  # fmt: skip
        return cached[1]

    def _publish_bar(self, symbol: str, candle: Candle) -> None:
        if subscribers := self._of("bars", symbol):
            self._push(subscribers, frames.bar(symbol, candle))

    def _of(self, channel: str, symbol: str) -> set[MarketConnection] | None:
        return self._subscribers[channel].get(symbol)

    @staticmethod
    def _push(subscribers: Iterable[MarketConnection], frame: frames.Frame) -> None:
        for connection in subscribers:
            connection.push(frame)

    def _drop(self, connection: MarketConnection, unwanted: Mapping[str, set[str]]) -> None:
        for channel, symbols in unwanted.items():
            connection.subscribed[channel] -= symbols
            index = self._subscribers[channel]
            for symbol in symbols:
                holders = index.get(symbol)
                if holders is not None:
                    holders.discard(connection)
                    if not holders:
                        del index[symbol]
