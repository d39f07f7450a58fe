"""Reference model of the Bourse replay contract (one book, commands in, events out).

Deliberately naive and independent of the engine: plain lists, linear scans, a fresh
``min`` over every candidate on each fill. It exists to be obviously right, not fast.

Commands and events are described in the engine's contract; the interpretation choices
(validation order, stop batches, FOK counting, ...) are the team's, restated where used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Event = dict[str, Any]
#: The shape of ``run_commands`` here and in ``bourse.matching.replay``.
Runner = Callable[[Iterable[Mapping[str, Any]]], list[dict[str, Any]]]

STOP_TYPES = ("stop", "stop_limit")


def is_positive_int(value: object) -> bool:
    """A positive integer; booleans (``True``) are not integers here."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@dataclasses.dataclass(eq=False)  # identity comparison: two orders are never "equal"
class Order:
    id: int
    side: str  # "buy" | "sell"
    type: str  # "limit" | "market" | "stop" | "stop_limit"
    price: int | None  # limit price; None for market and plain stop orders
    stop_price: int | None  # None unless stop / stop_limit
    qty: int  # open (remaining) quantity
    tif: str  # "gtc" | "day" | "ioc" | "fok"
    owner: str | None
    post_only: bool
    rank: int  # seq of its accepted event: "the order it was accepted in"
    time: int = 0  # time priority inside a price level, set each time it starts resting
    trail: int | None = None  # trailing stops: distance in ticks ...
    bps: int | None = None  # ... or in basis points of the water mark
    mark: int | None = None  # the water mark (None: the book had not traded yet)
    moved: bool = False  # the mark moved during the current command


def trailing_stop_price(order: Order) -> int:
    """The stop of a trailing order: its mark -/+ the distance, a bps distance rounded
    down to whole ticks (towards the mark)."""
    assert order.mark is not None
    if order.trail is not None:
        distance = order.trail
    else:
        assert order.bps is not None
        distance = (order.mark * order.bps) // 10_000
    return order.mark - distance if order.side == "sell" else order.mark + distance


def valid_trail(cmd: Mapping[str, Any]) -> bool:
    trail, bps = cmd.get("trail"), cmd.get("trail_bps")
    if trail is None:
        return isinstance(bps, int) and is_positive_int(bps) and bps < 10_000
    return bps is None and is_positive_int(trail)


class Book:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.seen_ids: set[Any] = set()
        self.resting: list[Order] = []  # visible book, both sides, any order
        self.stops: list[Order] = []  # hidden stop book, in acceptance order
        self.clock = 0  # time-priority counter
        self.trade_count = 0
        self.trades_at_command_start = 0
        self.last_price: int | None = None
        self.trade_prices: list[int] = []  # every trade's price, in print order

    # -- events ---------------------------------------------------------------------------

    def emit(self, type_: str, **fields: Any) -> Event:
        event: Event = {"seq": len(self.events) + 1, "type": type_, **fields}
        self.events.append(event)
        return event

    def cancelled(self, order: Order, reason: str) -> None:
        self.emit("cancelled", id=order.id, reason=reason, qty=order.qty)

    # -- commands -------------------------------------------------------------------------

    def apply(self, cmd: Mapping[str, Any]) -> None:
        op = cmd.get("op")
        if op == "new":
            self.new(cmd)
        elif op == "cancel":
            self.cancel(cmd)
        elif op == "replace":
            self.replace(cmd)
        elif op == "end_of_day":
            self.end_of_day()
        else:
            raise ValueError(f"unknown op: {op!r}")

    def new(self, cmd: Mapping[str, Any]) -> None:
        oid = cmd["id"]
        if oid in self.seen_ids:
            self.emit("rejected", id=oid, reason="duplicate_id")
            return
        self.seen_ids.add(oid)  # used up, even if rejected below

        otype: str = cmd["type"]
        qty: Any = cmd.get("qty")
        price: Any = cmd.get("price")
        stop_price: Any = cmd.get("stop_price")
        needs_price = otype in ("limit", "stop_limit")
        needs_stop_price = otype in STOP_TYPES
        if not is_positive_int(qty):
            self.emit("rejected", id=oid, reason="invalid_qty")
            return
        if (needs_price and not is_positive_int(price)) or (
            needs_stop_price and not is_positive_int(stop_price)
        ):
            self.emit("rejected", id=oid, reason="invalid_price")
            return
        if otype == "trailing_stop" and not valid_trail(cmd):
            self.emit("rejected", id=oid, reason="invalid_trail")
            return

        accepted = self.emit("accepted", id=oid)
        order = Order(
            id=oid,
            side=cmd["side"],
            type=otype,
            price=price if needs_price else None,
            stop_price=stop_price if needs_stop_price else None,
            qty=qty,
            tif=cmd.get("tif") or "gtc",
            owner=cmd.get("owner"),
            post_only=bool(cmd.get("post_only", False)),
            rank=accepted["seq"],
        )
        if otype == "trailing_stop":
            order.price, order.post_only = None, False
            order.trail, order.bps, order.mark = cmd.get("trail"), cmd.get("trail_bps"), None
            order.mark = self.last_price
            if order.mark is not None:
                order.stop_price = trailing_stop_price(order)
                self.emit("trailed", id=oid, stop_price=order.stop_price, water_mark=order.mark)
            self.stops.append(order)
            return
        if otype in STOP_TYPES:
            self.stops.append(order)  # hidden; only later trades can fire it
            return
        self.run_and_fire_stops(order)

    def cancel(self, cmd: Mapping[str, Any]) -> None:
        oid = cmd.get("id")
        for pool in (self.resting, self.stops):
            for order in pool:
                if order.id == oid:
                    pool.remove(order)
                    self.cancelled(order, "user")
                    return
        self.emit("rejected", id=oid, reason="unknown_order")

    def replace(self, cmd: Mapping[str, Any]) -> None:
        oid = cmd.get("id")
        found = [o for o in self.resting if o.id == oid]
        if not found:  # also covers pending stops: they are not resting limit orders
            self.emit("rejected", id=oid, reason="unknown_order")
            return
        order = found[0]
        assert order.price is not None  # only limit orders rest
        qty: Any = cmd.get("qty")
        price: Any = cmd.get("price")
        if qty is not None and not is_positive_int(qty):
            self.emit("rejected", id=oid, reason="invalid_qty")
            return
        if price is not None and not is_positive_int(price):
            self.emit("rejected", id=oid, reason="invalid_price")
            return

        new_price: int = price if price is not None else order.price
        new_qty: int = qty if qty is not None else order.qty
        self.emit("replaced", id=oid, price=new_price, qty=new_qty)
        if new_price == order.price and new_qty <= order.qty:
            order.qty = new_qty  # keeps its place in the queue
            return
        self.resting.remove(order)
        order.price = new_price
        order.qty = new_qty
        self.run_and_fire_stops(order)  # re-enters as an incoming limit; same id, same rank

    def end_of_day(self) -> None:
        victims = [o for o in self.resting + self.stops if o.tif == "day"]
        for order in sorted(victims, key=lambda o: o.rank):
            if order in self.resting:
                self.resting.remove(order)
            else:
                self.stops.remove(order)
            self.cancelled(order, "end_of_day")

    # -- matching -------------------------------------------------------------------------

    def run_and_fire_stops(self, order: Order) -> None:
        trades_before = self.trades_at_command_start = self.trade_count
        self.run_incoming(order)
        if self.trade_count > trades_before:
            self.fire_stops()

    def trailing_through(self, order: Order, prices: list[int]) -> bool:
        """Walk trade prices in order: True at the first one through the trailing stop,
        else move the mark on each better price."""
        for price in prices:
            if order.mark is not None:
                stop = trailing_stop_price(order)
                through = price >= stop if order.side == "buy" else price <= stop
                if through:
                    return True
                better = price < order.mark if order.side == "buy" else price > order.mark
                if not better:
                    continue
            order.mark = price
            order.stop_price = trailing_stop_price(order)
            order.moved = True
        return False

    def fire_stops(self) -> None:
        """Fire stops in batches: each batch is fixed from the last trade price (trailing
        stops: from each trade of the round in turn), then run."""
        scanned = len(self.trade_prices) - (self.trade_count - self.trades_at_command_start)
        while True:
            last = self.last_price
            assert last is not None
            round_prices = self.trade_prices[scanned:]
            scanned = len(self.trade_prices)
            batch = [
                s
                for s in self.stops
                if s.type != "trailing_stop"
                and (
                    (s.side == "buy" and s.stop_price is not None and s.stop_price <= last)
                    or (s.side == "sell" and s.stop_price is not None and s.stop_price >= last)
                )
            ]
            batch += [
                s
                for s in self.stops
                if s.type == "trailing_stop" and self.trailing_through(s, round_prices)
            ]
            if not batch:
                break
            self.stops = [s for s in self.stops if s not in batch]
            trades_before = self.trade_count
            for stop in sorted(batch, key=lambda s: s.rank):
                self.emit("triggered", id=stop.id)
                as_type = "limit" if stop.type == "stop_limit" else "market"
                self.run_incoming(dataclasses.replace(stop, type=as_type))
            if self.trade_count == trades_before:
                break
        for order in self.stops:
            if order.moved:
                order.moved = False
                self.emit(
                    "trailed", id=order.id, stop_price=order.stop_price, water_mark=order.mark
                )

    @staticmethod
    def acceptable(taker: Order, maker: Order) -> bool:
        """Can ``taker`` trade against resting ``maker`` at the maker's price?"""
        if taker.side == maker.side:
            return False
        if taker.type == "market":
            return True
        assert taker.price is not None and maker.price is not None
        if taker.side == "buy":
            return maker.price <= taker.price
        return maker.price >= taker.price

    @staticmethod
    def same_owner(a: Order, b: Order) -> bool:
        return a.owner is not None and a.owner == b.owner

    def best_maker(self, taker: Order) -> Order | None:
        candidates = [o for o in self.resting if self.acceptable(taker, o)]
        if not candidates:
            return None

        def priority(o: Order) -> tuple[int, int]:
            assert o.price is not None
            price_rank = o.price if taker.side == "buy" else -o.price
            return (price_rank, o.time)

        return min(candidates, key=priority)

    def run_incoming(self, taker: Order) -> None:
        """Post-only and FOK checks, matching, then remainder handling for one order."""
        is_market = taker.type == "market"
        if not is_market:
            if taker.post_only and any(self.acceptable(taker, o) for o in self.resting):
                self.cancelled(taker, "post_only")
                return
            if taker.tif == "fok":
                available = sum(
                    o.qty
                    for o in self.resting
                    if self.acceptable(taker, o) and not self.same_owner(taker, o)
                )
                if available < taker.qty:
                    self.cancelled(taker, "fok")
                    return

        while taker.qty > 0:
            maker = self.best_maker(taker)
            if maker is None:
                break
            if self.same_owner(taker, maker):
                self.resting.remove(maker)
                self.cancelled(maker, "self_trade")
                continue
            fill = min(taker.qty, maker.qty)
            self.emit("trade", taker=taker.id, maker=maker.id, price=maker.price, qty=fill)
            self.trade_count += 1
            self.last_price = maker.price
            assert maker.price is not None
            self.trade_prices.append(maker.price)
            taker.qty -= fill
            maker.qty -= fill
            if maker.qty == 0:
                self.resting.remove(maker)

        if taker.qty == 0:
            return
        if is_market:
            self.cancelled(taker, "market_unfilled")
        elif taker.tif in ("ioc", "fok"):
            self.cancelled(taker, "ioc")
        else:
            self.clock += 1
            taker.time = self.clock
            self.resting.append(taker)


#: The fields the contract defines for each event type (besides "seq" and "type").
CONTRACT_FIELDS: dict[str, tuple[str, ...]] = {
    "accepted": ("id",),
    "rejected": ("id", "reason"),
    "trade": ("taker", "maker", "price", "qty"),
    "cancelled": ("id", "reason", "qty"),
    "replaced": ("id", "price", "qty"),
    "triggered": ("id",),
    "trailed": ("id", "stop_price", "water_mark"),
}


def strip_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """Keep only "seq", "type" and the contract fields of the event's type.

    A missing contract field is kept as missing, so comparing stripped events still fails.
    """
    keep = ("seq", "type", *CONTRACT_FIELDS.get(event.get("type", ""), ()))
    return {key: event[key] for key in keep if key in event}


def strip_events(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [strip_event(e) for e in events]


def run_commands(commands: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Apply contract commands to one fresh book; return contract events (with ``seq``)."""
    book = Book()
    for cmd in commands:
        book.apply(cmd)
    return book.events
