"""Public market data: /api/v1/stocks/* (API.md, Market data). No token needed."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from bourse.common.pagination import After, Limit
from bourse.contracts.symbols import ANY_CASE_SYMBOL
from bourse.contracts.times import UtcTime
from bourse.messaging.runtime import Db
from bourse.stock import queries
from bourse.stock.api.deps import Symbol, parse_symbols
from bourse.stock.api.schemas import (
    Book,
    Candle,
    Candles,
    Instrument,
    Instruments,
    Quote,
    Snapshot,
    Trade,
    snapshot_of,
)
from bourse.stock.api.schemas import Trades as TradePage
from bourse.stock.domain.candles import Interval

router = APIRouter(prefix="/api/v1/stocks", tags=["stocks"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "unknown symbol"},
    422: {"description": "invalid input"},
}
MAX_CANDLES = 1000
SYMBOL_LIST = rf"^{ANY_CASE_SYMBOL}(,{ANY_CASE_SYMBOL})*$"


@router.get("", response_model=Instruments)
async def list_stocks(db: Db) -> Instruments:
    return Instruments(items=[Instrument.of(row) for row in await queries.list_instruments(db)])


@router.get("/snapshots", response_model=dict[str, Snapshot], responses=PROBLEMS)
async def get_snapshots(
    db: Db,
    symbols: Annotated[
        str,
        Query(
            description="comma-separated symbols (at most 100)",
            pattern=SYMBOL_LIST,
            examples=["AAPL,MSFT"],
        ),
    ],
) -> dict[str, Snapshot]:
    rows = await queries.snapshots(db, parse_symbols(symbols))
    return {symbol: snapshot_of(row) for symbol, row in rows.items()}


@router.get("/{symbol}", response_model=Instrument, responses=PROBLEMS)
async def get_stock(symbol: Symbol, db: Db) -> Instrument:
    return Instrument.of(await queries.get_instrument(db, symbol))


@router.get("/{symbol}/quote", response_model=Quote, responses=PROBLEMS)
async def get_quote(symbol: Symbol, db: Db) -> Quote:
    return Quote.of(await queries.get_quote(db, symbol))


@router.get("/{symbol}/book", response_model=Book, responses=PROBLEMS)
async def get_book(symbol: Symbol, db: Db, depth: Annotated[int, Query(ge=1, le=50)] = 10) -> Book:
    top = await queries.get_depth(db, symbol, depth)
    return Book.of(top.bids, top.asks)


@router.get("/{symbol}/trades", response_model=TradePage, responses=PROBLEMS)
async def list_trades(symbol: Symbol, db: Db, limit: Limit = 50, after: After = None) -> TradePage:
    cursor = queries.TradeCursor.decode(after) if after else None
    rows, following = await queries.list_trades(db, symbol, limit, cursor)
    return TradePage(
        items=[Trade.of(row) for row in rows], next=following.encode() if following else None
    )


@router.get("/{symbol}/candles", response_model=Candles, responses=PROBLEMS)
async def list_candles(
    symbol: Symbol,
    db: Db,
    interval: Interval = "1m",
    start: UtcTime | None = None,
    end: UtcTime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_CANDLES)] = MAX_CANDLES,
) -> Candles:
    wanted = queries.CandleRange(interval, start, end, limit)
    return Candles(items=[Candle.of(row) for row in await queries.list_candles(db, symbol, wanted)])
