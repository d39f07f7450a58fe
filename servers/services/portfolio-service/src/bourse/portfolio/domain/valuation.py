"""Valuing a portfolio at given prices: market value and unrealized P&L per position,
equity = cash + the market value of every position.

A position whose symbol has no known price yet is valued at its cost basis (no
unrealized P&L) and shows no market price, rather than being left out of the equity.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bourse.portfolio.domain.positions import ZERO, Position


@dataclass(frozen=True, slots=True)
class Quote:
    """A last price and the time of the trade that set it."""

    price: Decimal
    ts: datetime


@dataclass(frozen=True, slots=True)
class Book:
    """What is known of one user's holdings: cash and every position (closed ones keep
    their realized P&L), plus the last known prices of their symbols."""

    cash: Decimal
    positions: Mapping[str, Position]
    quotes: Mapping[str, Quote]


@dataclass(frozen=True, slots=True)
class PositionValue:
    symbol: str
    qty: Decimal
    avg_cost: Decimal
    market_price: Decimal | None
    market_value: Decimal
    unrealized_pl: Decimal
    realized_pl: Decimal


@dataclass(frozen=True, slots=True)
class Valuation:
    cash: Decimal
    positions: tuple[PositionValue, ...]
    equity: Decimal


def value_position(symbol: str, position: Position, price: Decimal | None) -> PositionValue:
    if price is None:
        market_value, unrealized = position.cost, ZERO
    else:
        market_value = position.qty * price
        unrealized = market_value - position.cost
    return PositionValue(
        symbol=symbol,
        qty=position.qty,
        avg_cost=position.avg_cost,
        market_price=price,
        market_value=market_value,
        unrealized_pl=unrealized,
        realized_pl=position.realized_pl,
    )


def value(
    cash: Decimal, positions: Mapping[str, Position], prices: Mapping[str, Decimal]
) -> Valuation:
    """The portfolio at ``prices`` (symbol -> last price); positions sorted by symbol."""
    rows = tuple(
        value_position(symbol, positions[symbol], prices.get(symbol))
        for symbol in sorted(positions)
    )
    equity = cash + sum((row.market_value for row in rows), ZERO)
    return Valuation(cash, rows, equity)


def newest(current: Quote | None, candidate: Quote) -> bool:
    """Whether ``candidate`` should replace ``current`` (a later trade, or the first)."""
    return current is None or candidate.ts >= current.ts
