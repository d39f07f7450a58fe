"""The pending stops of one book: plain stops bucketed by trigger price, trailing stops
followed trade by trade (trailing.py)."""

from bisect import bisect_left, bisect_right, insort

from bourse.matching.stop_order import StopOrder
from bourse.matching.trailing import TrailingStop
from bourse.matching.types import BUY, TRADE, TRAILED, Event


class StopIndex:
    """Pending stops of one side bucketed by stop price (ascending), FIFO per bucket."""

    __slots__ = ("buckets", "prices")

    def __init__(self) -> None:
        self.prices: list[int] = []
        self.buckets: dict[int, list[StopOrder]] = {}

    def add(self, stop: StopOrder) -> None:
        bucket = self.buckets.get(stop.stop_price)
        if bucket is None:
            self.buckets[stop.stop_price] = [stop]
            insort(self.prices, stop.stop_price)
        else:
            bucket.append(stop)

    def remove(self, stop: StopOrder) -> None:
        bucket = self.buckets[stop.stop_price]
        bucket.remove(stop)
        if not bucket:
            del self.buckets[stop.stop_price]
            del self.prices[bisect_left(self.prices, stop.stop_price)]

    def pop_range(self, lo: int, hi: int) -> list[StopOrder]:
        """Remove and return the stops whose buckets are ``prices[lo:hi]``."""
        prices, buckets = self.prices, self.buckets
        fired = [stop for price in prices[lo:hi] for stop in buckets.pop(price)]
        del prices[lo:hi]
        return fired


class Stops:
    """Every pending stop of a book. ``count`` includes the trailing ones; ``rank`` is the
    acceptance rank the next stop gets (stops fire in rank order)."""

    __slots__ = ("buys", "count", "rank", "sells", "trailing")

    def __init__(self) -> None:
        self.buys = StopIndex()
        self.sells = StopIndex()
        self.trailing: dict[int, TrailingStop] = {}  # in acceptance order
        self.count = 0
        self.rank = 0

    def add(self, stop: StopOrder) -> None:
        """A stop restored with its rank (``from_state``) or just accepted."""
        if isinstance(stop, TrailingStop):
            self.trailing[stop.id] = stop
        else:
            (self.buys if stop.side == BUY else self.sells).add(stop)
        self.count += 1

    def next_rank(self) -> int:
        rank = self.rank
        self.rank += 1
        return rank

    def remove(self, stop: StopOrder) -> None:
        if isinstance(stop, TrailingStop):
            del self.trailing[stop.id]
        else:
            (self.buys if stop.side == BUY else self.sells).remove(stop)
        self.count -= 1

    def fired(self, last: int, events: list[Event]) -> list[StopOrder]:
        """The stops the last price ``last`` and these ``events``' trades fire, taken out,
        in rank order."""
        buys, sells = self.buys, self.sells
        fired: list[StopOrder] = buys.pop_range(0, bisect_right(buys.prices, last))
        fired += sells.pop_range(bisect_left(sells.prices, last), len(sells.prices))
        if self.trailing:
            fired += self._fired_trailing(events)
        fired.sort(key=lambda stop: stop.rank)
        self.count -= len(fired)
        return fired

    def _fired_trailing(self, events: list[Event]) -> list[TrailingStop]:
        """Trailing stops through which one of these events' trades went, taken out."""
        prices = [event[3] for event in events if event[0] == TRADE]
        trailing = self.trailing
        fired = [stop for stop in trailing.values() if stop.fires_or_trails(prices)]
        for stop in fired:
            del trailing[stop.id]
        return fired

    def report_trailed(self, ev: list[Event]) -> None:
        """One ``trailed`` event per pending trailing stop that moved since the last."""
        for stop in self.trailing.values():
            if stop.moved:
                stop.moved = False
                ev.append((TRAILED, stop.id, stop.stop_price, stop.mark))
