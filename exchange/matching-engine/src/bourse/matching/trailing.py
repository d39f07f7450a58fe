"""Trailing stops: a stop whose trigger follows the best trade price seen since acceptance.

A sell trails the high-water mark (stop = mark - distance), a buy the low-water mark
(stop = mark + distance); the distance is ``trail`` ticks, or ``trail_bps`` basis points of
the mark rounded DOWN to whole ticks: the stop is rounded towards the mark, never looser
than asked (a distance that rounds to 0 puts the stop on the mark itself).

The mark starts at the book's last trade price when the order is accepted; on a book that
has not traded yet the order waits unarmed, and its first trade only sets the mark. Then
every trade of the book, in the order printed, first fires the stop if it went through it
(a sell: price <= stop; a buy: price >= stop), else moves the mark if the price is better.
The mark only ever moves in the order's favour, so the stop never moves against it.
"""

from collections.abc import Iterable
from typing import Any

from bourse.matching.stop_order import StopOrder
from bourse.matching.types import BUY, INVALID_TRAIL, is_positive_int

BPS = 10_000
UNARMED = 0  # stop_price of an order whose book has not traded yet (``mark`` is None)


class TrailingStop(StopOrder):
    """A pending trailing stop; it runs as a market order when it fires."""

    __slots__ = ("bps", "budget", "mark", "moved", "trail")

    def __init__(
        self,
        oid: int,
        side: str,
        qty: int,
        trail: int | None,
        bps: int | None,
        tif: str,
        owner: str | None,
        rank: int,
        mark: int | None,
        budget: int | None = None,
    ) -> None:
        super().__init__(oid, side, qty, None, UNARMED, tif, owner, False, rank)
        self.trail = trail
        self.bps = bps
        self.budget = budget  # as a market order's: spend at most this many tick x lots
        self.mark: int | None = None
        self.moved = False  # the mark moved during the current command
        if mark is not None:
            self.move_to(mark)

    def move_to(self, mark: int) -> None:
        self.mark = mark
        distance = self.trail if self.trail is not None else mark * self.bps // BPS  # type: ignore[operator]
        self.stop_price = mark + distance if self.side == BUY else mark - distance
        self.moved = True

    def fires_or_trails(self, prices: Iterable[int]) -> bool:
        """Walk the trades' prices in order; True at the first one through the stop."""
        buy = self.side == BUY
        for price in prices:
            mark = self.mark
            if mark is None:
                self.move_to(price)
            elif price >= self.stop_price if buy else price <= self.stop_price:
                return True
            elif price < mark if buy else price > mark:
                self.move_to(price)
        return False

    def to_state(self) -> list[Any]:
        return [
            "trailing",
            self.id,
            self.qty,
            None,
            self.side,
            self.owner,
            self.tif,
            False,
            self.trail,
            self.bps,
            self.mark,
            self.rank,
            self.budget,
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "qty": self.qty,
            "price": None,
            "side": self.side,
            "owner": self.owner,
            "tif": self.tif,
            "post_only": False,
            "stop_price": None if self.mark is None else self.stop_price,
            "trail": self.trail,
            "trail_bps": self.bps,
            "water_mark": self.mark,
            "budget": self.budget,
            "type": "trailing_stop",
        }


def from_state(row: list[Any]) -> TrailingStop:
    _, oid, qty, _price, side, owner, tif, _post, trail, bps, mark, rank, budget = row
    stop = TrailingStop(oid, side, qty, trail, bps, tif, owner, rank, mark, budget)
    stop.moved = False
    return stop


def invalid_trail(trail: object, bps: object) -> str | None:
    """Exactly one of ``trail`` (ticks > 0) or ``trail_bps`` (1 .. 9999) must be given."""
    if trail is None and is_positive_int(bps) and bps < BPS:  # type: ignore[operator]
        return None
    if bps is None and is_positive_int(trail):
        return None
    return INVALID_TRAIL
