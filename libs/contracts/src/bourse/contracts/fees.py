"""Trading fees (API.md, Trading account): each instrument charges ``maker_fee_bps`` on the
fills that rested in the book and ``taker_fee_bps`` on those that took liquidity, in basis
points of the fill's notional (price x qty), rounded half-up to the cent, on buys and sells
alike. order-service prices each fill; trader-service charges what the fill says.

A buy holds its worst-case fee with its cash (:func:`worst_case_fee`): the fee at the
higher rate on the most the order can cost, rounded up, plus one cent for the rounding of
fills priced one by one."""

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Final, Literal

Liquidity = Literal["maker", "taker"]

DEFAULT_MAKER_FEE_BPS: Final = 0
DEFAULT_TAKER_FEE_BPS: Final = 5
MAX_FEE_BPS: Final = 1000  # 10%
_BPS: Final = Decimal(10_000)
_CENT: Final = Decimal("0.01")


def fill_fee(price: Decimal, qty: Decimal, bps: int) -> Decimal:
    """The fee of one fill."""
    return (price * qty * bps / _BPS).quantize(_CENT, rounding=ROUND_HALF_UP)


def worst_case_fee(notional: Decimal, maker_bps: int, taker_bps: int) -> Decimal:
    """The most that fills worth up to ``notional`` can be charged, for a reservation."""
    bps = max(maker_bps, taker_bps)
    if bps == 0:
        return Decimal(0)
    return (notional * bps / _BPS).quantize(_CENT, rounding=ROUND_CEILING) + _CENT
