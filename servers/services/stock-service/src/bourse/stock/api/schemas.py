import datetime as dt
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bourse.common.pagination import Page
from bourse.contracts import fees
from bourse.contracts.events import Side
from bourse.contracts.money import DecimalIn, DecimalStr
from bourse.contracts.symbols import CanonicalSymbol
from bourse.stock.domain.book import Level
from bourse.stock.domain.instruments import Status

# A tick or lot size: what every service stores as NUMERIC(.., 8), so at most 8 places.
Size = Annotated[DecimalIn, Field(gt=0, max_digits=20, decimal_places=8)]
# A fee in basis points of a fill's notional (bourse.contracts.fees).
FeeBps = Annotated[int, Field(ge=0, le=fees.MAX_FEE_BPS, strict=True)]


class NewInstrumentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    symbol: CanonicalSymbol
    name: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
        ),
    ]
    tick_size: Size
    lot_size: Size
    maker_fee_bps: FeeBps = fees.DEFAULT_MAKER_FEE_BPS
    taker_fee_bps: FeeBps = fees.DEFAULT_TAKER_FEE_BPS


class Instrument(BaseModel):
    symbol: str
    name: str
    tick_size: DecimalStr
    lot_size: DecimalStr
    status: Status
    last_price: DecimalStr | None
    maker_fee_bps: int
    taker_fee_bps: int

    @classmethod
    def of(cls, row: Any) -> "Instrument":
        return cls(
            symbol=row.symbol,
            name=row.name,
            tick_size=row.tick_size,
            lot_size=row.lot_size,
            status=row.status,
            last_price=row.last_price,
            maker_fee_bps=row.maker_fee_bps,
            taker_fee_bps=row.taker_fee_bps,
        )


class Instruments(BaseModel):
    items: list[Instrument]


class Quote(BaseModel):
    symbol: str
    bid: DecimalStr | None
    bid_size: DecimalStr | None
    ask: DecimalStr | None
    ask_size: DecimalStr | None
    last: DecimalStr | None
    last_size: DecimalStr | None
    ts: datetime | None

    @classmethod
    def of(cls, row: Any) -> "Quote":
        return cls.model_validate(row, from_attributes=True)


# [price, qty]: a two-item array (a tuple schema is not valid OpenAPI for every tool).
PriceLevel = Annotated[list[DecimalStr], Field(min_length=2, max_length=2)]


class Book(BaseModel):
    bids: list[PriceLevel] = Field(description="[price, qty] levels, best (highest) first")
    asks: list[PriceLevel] = Field(description="[price, qty] levels, best (lowest) first")

    @classmethod
    def of(cls, bids: list[Level], asks: list[Level]) -> "Book":
        return cls(bids=[list(level) for level in bids], asks=[list(level) for level in asks])


class Trade(BaseModel):
    id: str
    symbol: str
    price: DecimalStr
    qty: DecimalStr
    taker_side: Side
    seq: int
    ts: datetime

    @classmethod
    def of(cls, row: Any) -> "Trade":
        return cls(
            id=row.trade_id,
            symbol=row.symbol,
            price=row.price,
            qty=row.qty,
            taker_side=row.taker_side,
            seq=row.seq,
            ts=row.ts,
        )


Trades = Page[Trade]


class Candle(BaseModel):
    start: datetime = Field(description="bucket start (UTC)")
    open: DecimalStr
    high: DecimalStr
    low: DecimalStr
    close: DecimalStr
    volume: DecimalStr
    trades: int

    @classmethod
    def of(cls, row: Any) -> "Candle":
        return cls(
            start=row.bucket_start,
            open=row.open,
            high=row.high,
            low=row.low,
            close=row.close,
            volume=row.volume,
            trades=row.trades,
        )


class Candles(BaseModel):
    items: list[Candle]


class Snapshot(BaseModel):
    """A symbol's market overview (after Alpaca's snapshot): its latest trade and quote,
    and its latest two daily bars (UTC days, as /candles?interval=1d)."""

    latest_trade: Trade | None = Field(description="the last trade on the tape; null: none yet")
    latest_quote: Quote = Field(description="top of book and last trade, as /quote")
    daily_bar: Candle | None = Field(description="the latest daily bar (today's, or older)")
    prev_daily_bar: Candle | None = Field(description="the daily bar before daily_bar")


class Clock(BaseModel):
    timestamp: datetime = Field(description="now (UTC)")
    is_open: bool = Field(description="whether the regular session is open now")
    next_open: datetime = Field(description="the next session open after now (UTC)")
    next_close: datetime = Field(description="the next session close after now (UTC)")


class SessionDay(BaseModel):
    date: dt.date = Field(description="the trading date (in the calendar's time zone)")
    open: datetime = Field(description="the session's open (UTC)")
    close: datetime = Field(description="the session's close (UTC)")


def snapshot_of(rows: Any) -> Snapshot:
    bars = [Candle.of(row) for row in rows.daily_bars]
    return Snapshot(
        latest_trade=Trade.of(rows.trade) if rows.trade is not None else None,
        latest_quote=Quote.of(rows.quote),
        daily_bar=bars[0] if bars else None,
        prev_daily_bar=bars[1] if len(bars) > 1 else None,
    )
