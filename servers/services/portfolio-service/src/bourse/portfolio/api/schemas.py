"""Response bodies (API.md, Portfolio), shared by the HTTP API and the WebSocket feed.
Money and quantities travel as canonical decimal strings."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from bourse.contracts.money import DecimalStr
from bourse.portfolio.domain.history import Timeframe
from bourse.portfolio.domain.valuation import PositionValue, Valuation


class PortfolioPosition(BaseModel):
    symbol: str
    qty: DecimalStr
    avg_cost: DecimalStr
    market_price: DecimalStr | None  # null until a price of the symbol is known
    market_value: DecimalStr
    unrealized_pl: DecimalStr
    realized_pl: DecimalStr

    @classmethod
    def of(cls, row: PositionValue) -> "PortfolioPosition":
        return cls(
            symbol=row.symbol,
            qty=row.qty,
            avg_cost=row.avg_cost,
            market_price=row.market_price,
            market_value=row.market_value,
            unrealized_pl=row.unrealized_pl,
            realized_pl=row.realized_pl,
        )


class Portfolio(BaseModel):
    cash: DecimalStr
    positions: list[PortfolioPosition]
    equity: DecimalStr
    as_of: datetime

    @classmethod
    def of(cls, valuation: Valuation, as_of: datetime, **extra: Any) -> "Portfolio":
        return cls(
            cash=valuation.cash,
            positions=[PortfolioPosition.of(row) for row in valuation.positions],
            equity=valuation.equity,
            as_of=as_of,
            **extra,
        )


class PortfolioFrame(Portfolio):
    """A WebSocket message: the whole portfolio, first as a snapshot, then as updates."""

    type: Literal["snapshot", "update"]


class EquityPoint(BaseModel):
    ts: datetime
    equity: DecimalStr


class EquityHistory(BaseModel):
    timeframe: Timeframe
    items: list[EquityPoint]


def frame(kind: Literal["snapshot", "update"], valuation: Valuation, as_of: datetime) -> str:
    return PortfolioFrame.of(valuation, as_of, type=kind).model_dump_json()
