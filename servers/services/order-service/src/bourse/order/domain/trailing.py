"""Trailing stops (API.md, Orders): validation, what they reserve, what the engine gets.

``trail_price`` (a price distance, a multiple of the tick) maps to the engine's ``trail`` in
ticks; ``trail_percent`` (0 < p < 100, at most 2 decimals) to ``trail_bps`` (p x 100). The
engine keeps the water mark and moves the stop (matching-engine README: a percent distance
is rounded down to whole ticks, towards the mark, never looser than asked) and fires it as
a market order.

Reservations follow the stop and market orders of the same side: a sell reserves its
shares; a buy reserves qty x the collar price above its first stop (last price + the
distance). A buy's stop only ever moves down, and the engine gets a budget equal to the
reservation, so a fired buy never spends more than was reserved.
"""

from dataclasses import dataclass
from decimal import Decimal

from bourse.common.errors import Problem

TRAILING = "trailing_stop"
MAX_PERCENT = Decimal(100)
BPS_PER_PERCENT = 100


@dataclass(frozen=True)
class Trail:
    """A valid trailing distance in engine units: exactly one of ticks or bps is set."""

    ticks: int | None
    bps: int | None

    def distance(self, mark_ticks: int) -> int:
        """The distance in ticks from a water mark of ``mark_ticks`` (as the engine does)."""
        return self.ticks if self.ticks is not None else mark_ticks * (self.bps or 0) // 10_000


def _invalid(code: str, detail: str) -> Problem:
    return Problem(422, code, detail)


def check_fields(
    order_type: str,
    time_in_force: str,
    trail_price: Decimal | None,
    trail_percent: Decimal | None,
) -> None:
    """The shape of the trailing fields: only on trailing stops, exactly one of them."""
    given = (trail_price is not None, trail_percent is not None)
    if order_type != TRAILING:
        if any(given):
            raise _invalid(
                "trail_not_allowed", "trail_price and trail_percent are for trailing_stop"
            )
        return
    if all(given):
        raise _invalid("trail_ambiguous", "give one of trail_price and trail_percent, not both")
    if not any(given):
        raise _invalid("trail_required", "a trailing_stop needs trail_price or trail_percent")
    if time_in_force not in ("day", "gtc"):
        raise _invalid("invalid_order", "a trailing_stop is day or gtc")


def to_engine(
    trail_price: Decimal | None, trail_percent: Decimal | None, tick_size: Decimal
) -> Trail:
    """The distance in engine units; 422 unless positive and representable."""
    if trail_price is not None:
        if not trail_price.is_finite() or trail_price <= 0:
            raise _invalid("invalid_trail", "trail_price must be positive")
        ticks, rest = divmod(trail_price, tick_size)
        if rest:
            raise _invalid(
                "invalid_tick_size", f"trail_price {trail_price} is not a multiple of {tick_size}"
            )
        return Trail(int(ticks), None)
    assert trail_percent is not None
    if not trail_percent.is_finite() or not 0 < trail_percent < MAX_PERCENT:
        raise _invalid("invalid_trail", "trail_percent must be above 0 and below 100")
    bps = trail_percent * BPS_PER_PERCENT
    if bps != bps.to_integral_value():
        raise _invalid("invalid_trail", "trail_percent has at most 2 decimals")
    return Trail(None, int(bps))


def first_stop_ticks(side: str, last_ticks: int, trail: Trail) -> int:
    """The stop as the engine arms it on acceptance, at the last trade price."""
    distance = trail.distance(last_ticks)
    return last_ticks + distance if side == "buy" else last_ticks - distance
