"""The live portfolios this instance serves, kept in memory so that a price tick costs no
database query.

* ``quotes``: the last price of every symbol this instance has seen (newest trade wins),
  fed by the fan-out queue and by every book loaded from the database.
* one :class:`Watch` per connected user: their cash and positions and their open
  connections (a user may have several);
* the index ``symbol -> watches`` of the users *holding* the symbol (open positions).

A price tick marks the watches of its symbol dirty; they are revalued and pushed once per
event-loop turn, so a burst of ticks costs one frame per user, not one per tick. A
``portfolio.updated`` (a fill, a deposit, cash) reloads that user's book from the
database, re-indexes their symbols (a new symbol is followed from then on, no reconnect
needed) and pushes. Reloads of one user are serialized and coalesced.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from prometheus_client import Gauge

from bourse.common.live import AfterTurn
from bourse.portfolio.api.schemas import frame
from bourse.portfolio.domain.positions import ZERO, Position
from bourse.portfolio.domain.valuation import Book, Quote, Valuation, newest, value
from bourse.portfolio.live.connection import Connection

CONNECTIONS = Gauge("bourse_portfolio_ws_connections", "Open portfolio WebSocket connections")
Loader = Callable[[UUID], Awaitable[Book]]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Watch:
    """One user's live portfolio on this instance."""

    __slots__ = ("cash", "connections", "lock", "positions", "reload_wanted", "symbols", "user_id")

    def __init__(self, user_id: UUID) -> None:
        self.user_id = user_id
        self.cash = ZERO
        self.positions: dict[str, Position] = {}
        self.symbols: frozenset[str] = frozenset()  # where it is in the index
        self.connections: set[Connection] = set()
        self.lock = asyncio.Lock()
        self.reload_wanted = False


class Hub:
    def __init__(self, load: Loader, clock: Callable[[], datetime] = utcnow) -> None:
        self._load = load
        self._clock = clock
        self.quotes: dict[str, Quote] = {}
        self._watches: dict[UUID, Watch] = {}
        self._by_symbol: dict[str, set[Watch]] = {}
        self._dirty: AfterTurn[Watch] = AfterTurn(self._flush)

    # -- connections --------------------------------------------------------------------

    async def join(self, user_id: UUID, connection: Connection) -> None:
        """Follow ``user_id``'s portfolio on ``connection``: its snapshot is queued first."""
        watch = self._watches.get(user_id)
        if watch is None:
            watch = self._watches[user_id] = Watch(user_id)
        watch.connections.add(connection)  # before loading: no change can slip between
        CONNECTIONS.inc()
        async with watch.lock:
            await self._reload(watch)
            connection.push(self._frame(watch, "snapshot"))
            connection.ready = True

    def leave(self, user_id: UUID, connection: Connection) -> None:
        watch = self._watches.get(user_id)
        if watch is None or connection not in watch.connections:
            return
        watch.connections.discard(connection)
        CONNECTIONS.dec()
        if not watch.connections:
            del self._watches[user_id]
            self._dirty.discard(watch)
            self._index(watch, frozenset())

    def watchers(self, symbol: str) -> int:
        return len(self._by_symbol.get(symbol, ()))

    # -- events -------------------------------------------------------------------------

    def price_changed(self, symbol: str, quote: Quote) -> None:
        current = self.quotes.get(symbol)
        if not newest(current, quote):
            return
        self.quotes[symbol] = quote
        if current is not None and current.price == quote.price:
            return
        watches = self._by_symbol.get(symbol)
        if watches:
            self._dirty.update(watches)

    async def portfolio_changed(self, user_id: UUID) -> None:
        """Reload and push ``user_id``'s portfolio if this instance serves them."""
        watch = self._watches.get(user_id)
        if watch is None or watch.reload_wanted:
            return  # not here, or a reload that has not started yet will see the change
        watch.reload_wanted = True
        async with watch.lock:
            watch.reload_wanted = False
            if self._watches.get(user_id) is not watch:
                return  # everyone left meanwhile
            await self._reload(watch)
            self._push(watch)

    async def refresh_all(self) -> None:
        """Reload every user (after the broker connection came back: the fan-out queue
        lost what was published meanwhile)."""
        users = list(self._watches)
        await asyncio.gather(*(self.portfolio_changed(u) for u in users), return_exceptions=True)

    def valuation(self, cash: Decimal, positions: Mapping[str, Position]) -> Valuation:
        prices = {s: q.price for s in positions if (q := self.quotes.get(s)) is not None}
        return value(cash, positions, prices)

    def value_book(self, book: Book) -> Valuation:
        """A book from the database valued at the newest prices this instance knows."""
        self._merge(book.quotes)
        return self.valuation(book.cash, book.positions)

    # -- internals ----------------------------------------------------------------------

    async def _reload(self, watch: Watch) -> None:
        book = await self._load(watch.user_id)
        self._merge(book.quotes)
        watch.cash = book.cash
        watch.positions = dict(book.positions)
        if self._watches.get(watch.user_id) is watch:  # not if everyone left meanwhile
            self._index(watch, frozenset(s for s, p in watch.positions.items() if p.is_open))

    def _merge(self, quotes: Mapping[str, Quote]) -> None:
        for symbol, quote in quotes.items():
            if newest(self.quotes.get(symbol), quote):
                self.quotes[symbol] = quote

    def _index(self, watch: Watch, symbols: frozenset[str]) -> None:
        for symbol in watch.symbols - symbols:
            watches = self._by_symbol[symbol]
            watches.discard(watch)
            if not watches:
                del self._by_symbol[symbol]
        for symbol in symbols - watch.symbols:
            self._by_symbol.setdefault(symbol, set()).add(watch)
        watch.symbols = symbols

    def _frame(self, watch: Watch, kind: Literal["snapshot", "update"]) -> str:
        return frame(kind, self.valuation(watch.cash, watch.positions), self._clock())

    def _push(self, watch: Watch) -> None:
        ready = [c for c in watch.connections if c.ready]
        if ready:
            update = self._frame(watch, "update")
            for connection in ready:
                connection.push(update)

    def _flush(self, dirty: set[Watch]) -> None:
        for watch in dirty:
            self._push(watch)
