"""One symbol's limit order book: price-time priority, deterministic, no I/O.

Longer than this code base's 400 lines on purpose: the commands and the matching loop are
the engine's hot path and share the book's invariants, so they stay one class with the
common cases inlined (a call costs tens of ns in CPython). The data structures live apart:
levels.py (a side's price levels), stops.py (pending stops), book_state.py (snapshots).

Layout, chosen for CPython speed:

* A resting order is a list ``[id, qty, price, side, owner, tif, post_only]`` (indices
  below); a list is several times cheaper to create than an object with slots.
* Each side keeps ``levels`` (price -> ``Level``, levels.py) and ``keys``, the sorted level keys
  with the best price last: key = price for bids and -price for asks. An incoming order
  crosses the opposite side while ``keys[-1] >= sign * limit``, so one matching loop
  serves both sides, and the best price is ``keys[-1]``: O(1).
* A level is a FIFO deque. Cancels are lazy: the order's qty becomes 0 and it stays in
  the deque until matching pops it or the level compacts, so a cancel is O(1).
* ``orders`` maps every live id (resting or pending stop) to its record, in acceptance
  order (a dict keeps insertion order and an in-place update keeps the position), which
  is the order that ``end_of_day`` and mass cancels must follow.
"""

from typing import Any

from bourse.matching import book_state
from bourse.matching.ids import UsedIds
from bourse.matching.levels import (
    COMPACT_MIN_DEAD,
    ID,
    OWNER,
    POST,
    PRICE,
    QTY,
    SIDE,
    TIF,
    BookSide,
    Order,
)
from bourse.matching.stop_order import StopOrder
from bourse.matching.stops import Stops
from bourse.matching.trailing import TrailingStop, invalid_trail
from bourse.matching.types import (
    ACCEPTED,
    BUDGET_EXHAUSTED,
    BUY,
    CANCELLED,
    DUPLICATE_ID,
    END_OF_DAY,
    FOK,
    INVALID_BUDGET,
    INVALID_PRICE,
    INVALID_QTY,
    INVALID_SIDE,
    INVALID_TIF,
    INVALID_TYPE,
    IOC,
    MARKET_UNFILLED,
    MASS_CANCEL,
    ORDER_TYPES,
    POST_ONLY,
    REJECTED,
    REPLACED,
    SELF_TRADE,
    SIDES,
    TIFS,
    TRADE,
    TRAILED,
    TRIGGERED,
    UNKNOWN_ORDER,
    USER,
    Event,
    is_positive_int,
)

_NO_LIMIT = -(1 << 80)  # below every key: a market order crosses any price


class OrderBook:
    """The book of one symbol. Every command returns the events it produced, in order."""

    def __init__(self, symbol: str = "") -> None:
        self.symbol = symbol
        self.bids = BookSide(1)
        self.asks = BookSide(-1)
        self.seq = 0  # events emitted so far; an event's seq is its 1-based position
        self.trade_count = 0
        self.last_price: int | None = None
        self.orders: dict[int, Order | StopOrder] = {}  # every live id, in acceptance order
        self.ids = UsedIds()
        self.stops = Stops()

    # ------------------------------------------------------------------ commands

    def limit(
        self,
        oid: int,
        side: str,
        price: int,
        qty: int,
        tif: str = "gtc",
        owner: str | None = None,
        post_only: bool = False,
    ) -> list[Event]:
        """A new limit order. The hot path: checks are inlined, and an order that does not
        cross rests without further calls."""
        ids = self.ids
        if oid == ids.hi and not ids.sparse:  # UsedIds.add's common case, inlined
            ids.hi = oid + 1
        elif not ids.add(oid):
            return self._reject(oid, DUPLICATE_ID)
        if side == "buy":
            own, opp = self.bids, self.asks
        elif side == "sell":
            own, opp = self.asks, self.bids
        else:
            return self._reject(oid, INVALID_SIDE)
        if tif not in {"gtc", "day", "ioc", "fok"}:  # literals: constants, not global loads
            return self._reject(oid, INVALID_TIF)
        if type(qty) is not int or qty <= 0:
            return self._reject(oid, INVALID_QTY)
        if type(price) is not int or price <= 0:
            return self._reject(oid, INVALID_PRICE)
        okeys = opp.keys
        limit_key = opp.sign * price
        if (okeys and okeys[-1] >= limit_key) or tif in {"ioc", "fok"}:
            ev: list[Event] = [("accepted", oid)]
            trades = self.trade_count
            if post_only or tif == "fok" or not okeys or okeys[-1] < limit_key:
                self._enter_limit(ev, oid, side, price, qty, tif, owner, post_only)
            else:  # a plain crossing order: straight to matching
                qty = self._match(ev, oid, owner, opp, limit_key, qty)
                if qty:
                    self._rest_or_drop(ev, own, oid, side, price, qty, tif, owner, post_only)
            if self.trade_count != trades and self.stops.count:
                self._trigger_stops(ev)
            self.seq += len(ev)
            return ev
        # Rests untouched: _rest inlined, as this is most of the traffic of a real book.
        level = own.levels.get(price)
        if level is None or not level.total:
            level = own.reopen(price)
        rec = [oid, qty, level.price, side, owner, tif, post_only]
        level.queue.append(rec)
        level.total += qty
        self.orders[oid] = rec
        self.seq += 1
        return [("accepted", oid)]

    def new(
        self,
        oid: int,
        side: str,
        order_type: str,
        qty: int,
        price: int | None = None,
        stop_price: int | None = None,
        tif: str = "gtc",
        owner: str | None = None,
        post_only: bool = False,
        budget: int | None = None,
        trail: int | None = None,
        trail_bps: int | None = None,
    ) -> list[Event]:
        """Any new order. ``budget`` (market buys): spend at most that many tick x lots.
        ``trail`` (ticks) or ``trail_bps``: the distance of a trailing stop (trailing.py)."""
        if order_type == "limit":
            return self.limit(oid, side, price, qty, tif, owner, post_only)  # type: ignore[arg-type]
        if not self.ids.add(oid):
            return self._reject(oid, DUPLICATE_ID)
        reason = self._invalid_reason(side, order_type, qty, price, stop_price, tif, budget)
        if reason is None and order_type == "trailing_stop":
            reason = invalid_trail(trail, trail_bps)
        if reason is not None:
            return self._reject(oid, reason)
        ev: list[Event] = [(ACCEPTED, oid)]
        if order_type == "trailing_stop":
            self._add_trailing(ev, oid, side, qty, trail, trail_bps, tif, owner, budget)
        elif order_type == "market":
            trades = self.trade_count
            self._enter_market(ev, oid, side, qty, owner, budget)
            if self.trade_count != trades and self.stops.count:
                self._trigger_stops(ev)
        else:
            limit_price = price if order_type == "stop_limit" else None  # a stop ignores price
            self._add_stop(oid, side, qty, limit_price, stop_price, tif, owner, post_only)  # type: ignore[arg-type]
        self.seq += len(ev)
        return ev

    def cancel(self, oid: int) -> list[Event]:
        rec = self.orders.pop(oid, None)
        if type(rec) is list:
            qty = rec[QTY]
            side = self.bids if rec[SIDE] == "buy" else self.asks
            level = side.levels[rec[PRICE]]
            if qty < level.total and level.dead < COMPACT_MIN_DEAD:
                level.total -= qty  # BookSide.unlink's common case, inlined
                level.dead += 1
                rec[QTY] = 0
            else:
                side.unlink(rec)
            self.seq += 1
            return [("cancelled", oid, "user", qty)]
        if rec is None:
            return self._reject(oid, UNKNOWN_ORDER)
        self.seq += 1
        return [self._cancel_popped(rec, USER)]

    def replace(self, oid: int, price: int | None = None, qty: int | None = None) -> list[Event]:
        """Amend a resting limit order. Same price and no larger qty keeps priority."""
        rec = self.orders.get(oid)
        if type(rec) is not list:
            return self._reject(oid, UNKNOWN_ORDER)
        if qty is not None and not is_positive_int(qty):
            return self._reject(oid, INVALID_QTY)
        if price is not None and not is_positive_int(price):
            return self._reject(oid, INVALID_PRICE)
        old_price, old_qty = rec[PRICE], rec[QTY]
        new_price = old_price if price is None else price
        new_qty = old_qty if qty is None else qty
        ev: list[Event] = [(REPLACED, oid, new_price, new_qty)]
        if new_price == old_price and new_qty <= old_qty:
            side = self.bids if rec[SIDE] == BUY else self.asks
            side.levels[old_price].total -= old_qty - new_qty
            rec[QTY] = new_qty
        else:
            self._unlink(rec)
            side = rec[SIDE]
            own, opp = (self.bids, self.asks) if side == "buy" else (self.asks, self.bids)
            okeys = opp.keys
            if okeys and okeys[-1] >= opp.sign * new_price:  # crosses: may trade
                trades = self.trade_count
                if not self._enter_limit(
                    ev, oid, side, new_price, new_qty, rec[TIF], rec[OWNER], rec[POST]
                ):
                    del self.orders[oid]
                if self.trade_count != trades and self.stops.count:
                    self._trigger_stops(ev)
            else:  # a move to a passive price: straight to the back of its level
                self._rest(own, [oid, new_qty, new_price, side, rec[OWNER], rec[TIF], rec[POST]])
        self.seq += len(ev)
        return ev

    def end_of_day(self) -> list[Event]:
        """Cancel every resting day order and pending day stop, in acceptance order."""
        return self._cancel_where(lambda rec: _tif(rec) == "day", END_OF_DAY)

    def cancel_owner(self, owner: str) -> list[Event]:
        """Mass cancel: every resting order and pending stop of ``owner``."""
        return self._cancel_where(lambda rec: _owner(rec) == owner, MASS_CANCEL)

    # ------------------------------------------------------------------- queries

    def best_bid(self) -> tuple[int, int] | None:
        """(price, total qty) of the best bid, or None: O(1)."""
        return self.bids.best()

    def best_ask(self) -> tuple[int, int] | None:
        return self.asks.best()

    def depth(self, levels: int = 10) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Top ``levels`` price levels per side as (price, total qty), best first."""
        return self.bids.depth(levels), self.asks.depth(levels)

    def get(self, oid: int) -> dict[str, Any] | None:
        """A live order (resting or pending stop) as a dict, or None."""
        rec = self.orders.get(oid)
        return None if rec is None else book_state.describe(oid, rec)

    @property
    def resting_count(self) -> int:
        return len(self.orders) - self.stops.count

    @property
    def stop_count(self) -> int:
        return self.stops.count

    def __len__(self) -> int:
        return len(self.orders)

    def __contains__(self, oid: object) -> bool:
        """True while ``oid`` is live: resting or a pending stop."""
        return oid in self.orders

    # ------------------------------------------------------------------- state

    def to_state(self) -> dict[str, Any]:
        """Everything needed to continue exactly where this book is, as plain data."""
        return book_state.to_state(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "OrderBook":
        book = cls(state["symbol"])
        book_state.restore(book, state)
        return book

    # ------------------------------------------------------------------ internals

    def _reject(self, oid: Any, reason: str) -> list[Event]:
        self.seq += 1
        return [(REJECTED, oid, reason)]

    @staticmethod
    def _invalid_reason(
        side: str,
        order_type: str,
        qty: int,
        price: int | None,
        stop_price: int | None,
        tif: str,
        budget: int | None,
    ) -> str | None:
        if side not in SIDES:
            return INVALID_SIDE
        if order_type not in ORDER_TYPES:
            return INVALID_TYPE
        if tif not in TIFS:
            return INVALID_TIF
        if not is_positive_int(qty):
            return INVALID_QTY
        if order_type == "stop_limit" and not is_positive_int(price):
            return INVALID_PRICE
        if order_type in {"stop", "stop_limit"} and not is_positive_int(stop_price):
            return INVALID_PRICE
        if budget is not None and (
            order_type not in {"market", "trailing_stop"} or not is_positive_int(budget)
        ):
            return INVALID_BUDGET
        return None

    def _enter_limit(
        self,
        ev: list[Event],
        oid: int,
        side: str,
        price: int,
        qty: int,
        tif: str,
        owner: str | None,
        post_only: bool,
    ) -> bool:
        """Run an incoming limit order against the book; True when a remainder rests."""
        if side == BUY:
            own, opp = self.bids, self.asks
        else:
            own, opp = self.asks, self.bids
        limit_key = opp.sign * price
        okeys = opp.keys
        crosses = bool(okeys) and okeys[-1] >= limit_key
        if crosses and post_only:
            ev.append((CANCELLED, oid, POST_ONLY, qty))
            return False
        if tif == "fok" and (not crosses or opp.fillable(limit_key, qty, owner) < qty):
            ev.append((CANCELLED, oid, FOK, qty))
            return False
        if crosses:
            qty = self._match(ev, oid, owner, opp, limit_key, qty)
            if not qty:
                return False
        return self._rest_or_drop(ev, own, oid, side, price, qty, tif, owner, post_only)

    def _rest_or_drop(
        self,
        ev: list[Event],
        own: BookSide,
        oid: int,
        side: str,
        price: int,
        qty: int,
        tif: str,
        owner: str | None,
        post_only: bool,
    ) -> bool:
        """The remainder of an incoming limit order: rests (gtc, day) or is dropped."""
        if tif in {"ioc", "fok"}:
            ev.append((CANCELLED, oid, IOC, qty))
            return False
        self._rest(own, [oid, qty, price, side, owner, tif, post_only])
        return True

    def _rest(self, own: BookSide, rec: Order) -> None:
        """Queue ``rec`` at the back of its price level (creating the level if new)."""
        price = rec[PRICE]
        level = own.levels.get(price)
        if level is None or not level.total:
            level = own.reopen(price)
        rec[PRICE] = level.price
        level.queue.append(rec)
        level.total += rec[QTY]
        self.orders[rec[ID]] = rec

    def _enter_market(
        self,
        ev: list[Event],
        oid: int,
        side: str,
        qty: int,
        owner: str | None,
        budget: int | None,
    ) -> None:
        opp = self.asks if side == BUY else self.bids
        reason = MARKET_UNFILLED
        wanted = qty
        if budget is not None:
            affordable = opp.fillable(_NO_LIMIT, qty, owner, budget)
            if affordable < opp.fillable(_NO_LIMIT, qty, owner):
                reason = BUDGET_EXHAUSTED
            wanted = affordable
        left = qty - wanted
        if wanted and opp.keys:
            left += self._match(ev, oid, owner, opp, _NO_LIMIT, wanted)
        else:
            left += wanted
        if left:
            ev.append((CANCELLED, oid, reason, left))

    def _match(
        self,
        ev: list[Event],
        oid: int,
        owner: str | None,
        opp: BookSide,
        limit_key: int,
        qty: int,
    ) -> int:
        """Fill ``qty`` against ``opp`` at keys >= ``limit_key``; return what is left."""
        keys, levels, sign, orders = opp.keys, opp.levels, opp.sign, self.orders
        append = ev.append
        trades = 0
        traded_at = 0  # the price of the last fill (a level may end in self-trade cancels)
        while keys and keys[-1] >= limit_key:
            price = keys[-1] * sign
            level = levels[price]
            queue = level.queue
            while queue:
                maker = queue[0]
                mqty = maker[QTY]
                if not mqty:
                    queue.popleft()
                    level.dead -= 1
                    continue
                if owner is not None and maker[OWNER] == owner:
                    queue.popleft()
                    del orders[maker[ID]]
                    level.total -= mqty
                    append((CANCELLED, maker[ID], SELF_TRADE, mqty))
                    continue
                trades += 1
                traded_at = price
                if qty < mqty:
                    append((TRADE, oid, maker[ID], price, qty))
                    maker[QTY] = mqty - qty
                    level.total -= qty
                    qty = 0
                    break
                append((TRADE, oid, maker[ID], price, mqty))
                queue.popleft()
                del orders[maker[ID]]
                level.total -= mqty
                qty -= mqty
                if not qty:
                    break
            if not level.total:
                keys.pop()  # the emptied level object stays in levels for reuse
            if not qty:
                break
        if trades:
            self.trade_count += trades
            self.last_price = traded_at
        return qty

    def _unlink(self, rec: Order) -> None:
        (self.bids if rec[SIDE] == "buy" else self.asks).unlink(rec)

    def _cancel_popped(self, rec: Order | StopOrder, reason: str) -> Event:
        """Unlink an order already popped from ``orders``; return its cancelled event."""
        if type(rec) is list:
            qty = rec[QTY]
            self._unlink(rec)
            return (CANCELLED, rec[ID], reason, qty)
        assert isinstance(rec, StopOrder)
        self.stops.remove(rec)
        return (CANCELLED, rec.id, reason, rec.qty)

    def _cancel_where(self, wanted: Any, reason: str) -> list[Event]:
        orders = self.orders
        doomed = [oid for oid, rec in orders.items() if wanted(rec)]
        ev = [self._cancel_popped(orders.pop(oid), reason) for oid in doomed]
        self.seq += len(ev)
        return ev

    def _add_stop(
        self,
        oid: int,
        side: str,
        qty: int,
        price: int | None,
        stop_price: int,
        tif: str,
        owner: str | None,
        post_only: bool,
    ) -> None:
        rank = self.stops.next_rank()
        stop = StopOrder(oid, side, qty, price, stop_price, tif, owner, post_only, rank)
        self.orders[oid] = stop
        self.stops.add(stop)

    def _add_trailing(
        self,
        ev: list[Event],
        oid: int,
        side: str,
        qty: int,
        trail: int | None,
        bps: int | None,
        tif: str,
        owner: str | None,
        budget: int | None,
    ) -> None:
        rank = self.stops.next_rank()
        stop = TrailingStop(oid, side, qty, trail, bps, tif, owner, rank, self.last_price, budget)
        self.orders[oid] = stop
        self.stops.add(stop)
        if stop.moved:
            stop.moved = False
            ev.append((TRAILED, oid, stop.stop_price, stop.mark))

    def _trigger_stops(self, ev: list[Event]) -> None:
        """Fire stops at the last trade price, in rounds, until a round fires none.

        Trailing stops see each trade of the round in turn (trailing.py); those that moved
        and are still pending report their final stop once, after the last round."""
        stops = self.stops
        scanned = 0
        while stops.count:
            last = self.last_price
            assert last is not None
            fired = stops.fired(last, ev[scanned:])
            scanned = len(ev)
            if not fired:
                break
            trades = self.trade_count
            for stop in fired:
                self._run_stop(ev, stop)
            if self.trade_count == trades:
                break
        if stops.trailing:
            stops.report_trailed(ev)

    def _run_stop(self, ev: list[Event], stop: StopOrder) -> None:
        ev.append((TRIGGERED, stop.id))
        if stop.price is None:
            del self.orders[stop.id]
            budget = stop.budget if isinstance(stop, TrailingStop) else None
            self._enter_market(ev, stop.id, stop.side, stop.qty, stop.owner, budget)
        elif not self._enter_limit(
            ev, stop.id, stop.side, stop.price, stop.qty, stop.tif, stop.owner, stop.post_only
        ):
            del self.orders[stop.id]


def _tif(rec: Order | StopOrder) -> str:
    return rec[TIF] if type(rec) is list else rec.tif  # type: ignore[union-attr]


def _owner(rec: Order | StopOrder) -> str | None:
    return rec[OWNER] if type(rec) is list else rec.owner  # type: ignore[union-attr]


def crossed(book: OrderBook) -> bool:
    """True if the best bid is at or above the best ask (never true at rest)."""
    bid, ask = book.best_bid(), book.best_ask()
    return bid is not None and ask is not None and bid[0] >= ask[0]
