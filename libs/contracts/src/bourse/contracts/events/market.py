"""Market data: trades, books, prices and instruments (stock-service and its subscribers)."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from bourse.contracts import fees, topology
from bourse.contracts.events.base import Side, SymbolPayload
from bourse.contracts.money import DecimalStr

# -- market data ---------------------------------------------------------------------------


class TradeExecuted(SymbolPayload):
    """``seq`` orders trades within one journal (``epoch``); a new journal starts again."""

    TYPE = "market.trade"
    EXCHANGE = topology.MARKET
    trade_id: str
    price: DecimalStr
    qty: DecimalStr
    taker_side: Side
    seq: int
    ts: datetime
    epoch: UUID | None = None


class BookChanged(SymbolPayload):
    TYPE = "market.book"
    EXCHANGE = topology.MARKET
    bids: list[tuple[DecimalStr, DecimalStr]]
    asks: list[tuple[DecimalStr, DecimalStr]]
    seq: int
    ts: datetime
    epoch: UUID | None = None


class PriceChanged(SymbolPayload):
    TYPE = "market.price"
    EXCHANGE = topology.MARKET
    price: DecimalStr
    ts: datetime


class InstrumentChanged(SymbolPayload):
    """An instrument was created, halted or resumed: the full current state."""

    TYPE = "instrument.changed"
    EXCHANGE = topology.MARKET
    name: str
    tick_size: DecimalStr
    lot_size: DecimalStr
    status: Literal["trading", "halted"]
    last_price: DecimalStr | None = None
    # defaults: what an instrument announced before fees existed is charged the defaults
    maker_fee_bps: int = fees.DEFAULT_MAKER_FEE_BPS
    taker_fee_bps: int = fees.DEFAULT_TAKER_FEE_BPS
