"""The read side of the market-data API: instruments, quotes, depth, the tape, candles.
The quote and the depth, the reads clients poll most, are one statement each on a
connection outside any transaction (asyncpg); the others go through SQLAlchemy."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.common.pagination import decode_cursor, encode_cursor, invalid_cursor
from bourse.contracts.times import as_utc
from bourse.stock.db import candles, instruments, quotes, trades
from bourse.stock.domain.book import Depth
from bourse.stock.domain.candles import CANDLE_FIELDS, Candle, bucket_start, position
from bourse.stock.handlers.http import unknown_symbol
from bourse.stock.live.hub import Seed, StoredBook

_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class TradeCursor:
    """Position in the tape (newest first): the last trade of the previous page."""

    ts: datetime
    seq: int
    id: int

    def encode(self) -> str:
        return encode_cursor(f"{self.ts.isoformat()}|{self.seq}|{self.id}")

    @classmethod
    def decode(cls, cursor: str) -> "TradeCursor":
        try:
            ts, seq, row_id = decode_cursor(cursor).split("|")
            decoded = cls(as_utc(datetime.fromisoformat(ts)), int(seq), int(row_id))
        except (ValueError, OverflowError) as exc:
            raise invalid_cursor() from exc
        if not (_BIGINT_MIN <= decoded.seq <= _BIGINT_MAX and 0 < decoded.id <= _BIGINT_MAX):
            raise invalid_cursor()
        return decoded


@dataclass(frozen=True)
class CandleRange:
    interval: str
    start: datetime | None
    end: datetime | None
    limit: int


async def list_instruments(db: Database) -> Sequence[Any]:
    async with db.reading() as session:
        return (await session.execute(select(instruments).order_by(instruments.c.symbol))).all()


async def get_instrument(db: Database, symbol: str) -> Any:
    async with db.reading() as session:
        row = (
            await session.execute(select(instruments).where(instruments.c.symbol == symbol))
        ).one_or_none()
    if row is None:
        raise unknown_symbol(symbol)
    return row


class QuoteRow(NamedTuple):
    symbol: str
    bid: Decimal | None
    bid_size: Decimal | None
    ask: Decimal | None
    ask_size: Decimal | None
    last: Decimal | None
    last_size: Decimal | None
    ts: datetime | None


# One round trip: the instrument and its quote (nulls while it has no quotes row), only
# the columns a Quote shows (not the stored book); no row for an unknown symbol.
_QUOTE = (
    "SELECT i.symbol, "
    + ", ".join(f"q.{name}" for name in QuoteRow._fields[1:])
    + " FROM instruments i LEFT JOIN quotes q ON q.symbol = i.symbol WHERE i.symbol = $1"
)


async def get_quote(db: Database, symbol: str) -> QuoteRow:
    """The quote (all null before any market activity)."""
    async with db.connection() as pg:
        row = await pg.fetchrow(_QUOTE, symbol)
    if row is None:
        raise unknown_symbol(symbol)
    return QuoteRow(*row)


# One round trip: the instrument's stored book (null while it has no quotes row); no row
# for an unknown symbol.
_BOOK = (
    "SELECT q.book FROM instruments i LEFT JOIN quotes q ON q.symbol = i.symbol WHERE i.symbol = $1"
)


async def get_depth(db: Database, symbol: str, depth: int) -> Depth:
    """The best ``depth`` levels a side of the stored book (none before any book)."""
    async with db.connection() as pg:
        row = await pg.fetchrow(_BOOK, symbol)
    if row is None:
        raise unknown_symbol(symbol)
    book = row["book"]  # jsonb comes as its text: the pool sets no codec
    return Depth.from_json(json.loads(book) if book else {}, depth)


async def list_trades(
    db: Database, symbol: str, limit: int, after: TradeCursor | None
) -> tuple[Sequence[Any], TradeCursor | None]:
    """A page of the tape, newest first, and the cursor of the next page (if any)."""
    order = (trades.c.ts, trades.c.seq, trades.c.id)
    query = select(trades).where(trades.c.symbol == symbol)
    if after is not None:
        query = query.where(tuple_(*order) < tuple_(after.ts, after.seq, after.id))
    query = query.order_by(*(column.desc() for column in order)).limit(limit + 1)
    async with db.reading() as session:
        await _require(session, symbol)
        rows = (await session.execute(query)).all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], TradeCursor(last.ts, last.seq, last.id)


async def list_candles(db: Database, symbol: str, wanted: CandleRange) -> Sequence[Any]:
    """Candles overlapping [start, end), oldest first, at most ``limit``: from ``start``
    when it is given, else the latest ones. An empty range (start >= end) has none."""
    if wanted.start and wanted.end and as_utc(wanted.start) >= as_utc(wanted.end):
        return []
    query = select(candles).where(candles.c.symbol == symbol, candles.c.interval == wanted.interval)
    if wanted.start is not None:
        query = query.where(candles.c.bucket_start >= bucket_start(wanted.start, wanted.interval))
    if wanted.end is not None:
        query = query.where(candles.c.bucket_start < as_utc(wanted.end))
    newest_first = wanted.start is None
    key = candles.c.bucket_start.desc() if newest_first else candles.c.bucket_start
    async with db.reading() as session:
        await _require(session, symbol)
        rows = (await session.execute(query.order_by(key).limit(wanted.limit))).all()
    return rows[::-1] if newest_first else rows


async def _require(session: AsyncSession, symbol: str) -> None:
    found = await session.scalar(select(instruments.c.symbol).where(instruments.c.symbol == symbol))
    if found is None:
        raise unknown_symbol(symbol)


async def live_seed(db: Database, now: datetime) -> Seed:
    """What /ws/market starts from: every instrument, its stored book at its exchange
    position, its last trade's position and the open minute's candle."""
    minute = bucket_start(now, "1m")
    async with db.reading() as session:
        rows = (
            await session.execute(
                select(
                    instruments.c.symbol,
                    instruments.c.last_trade_seq,
                    instruments.c.last_trade_epoch,
                    quotes.c.book,
                    quotes.c.book_seq,
                    quotes.c.book_epoch,
                    quotes.c.ts,
                ).select_from(instruments.outerjoin(quotes))
            )
        ).all()
        open_bars = (
            await session.execute(
                select(candles).where(candles.c.interval == "1m", candles.c.bucket_start >= minute)
            )
        ).all()
    seed = Seed(symbols={row.symbol for row in rows})
    for row in rows:
        if row.last_trade_seq is not None:
            seed.last_trades[row.symbol] = position(row.last_trade_epoch, row.last_trade_seq)
        if row.book_seq is not None:
            depth = Depth.from_json(row.book or {})
            at = position(row.book_epoch, row.book_seq)
            seed.books[row.symbol] = StoredBook(at, depth.bids, depth.asks, as_utc(row.ts or now))
    for row in open_bars:
        seed.bars[row.symbol] = Candle(*(row._mapping[name] for name in CANDLE_FIELDS))
    return seed


async def existing_symbols(db: Database, symbols: set[str]) -> set[str]:
    async with db.reading() as session:
        found = await session.scalars(
            select(instruments.c.symbol).where(instruments.c.symbol.in_(sorted(symbols)))
        )
        return set(found)


MAX_SNAPSHOTS = 100
_LATEST_TRADES = text("""
SELECT t.* FROM unnest(CAST(:symbols AS text[])) AS s(symbol)
CROSS JOIN LATERAL (
    SELECT * FROM trades WHERE trades.symbol = s.symbol
    ORDER BY ts DESC, seq DESC, id DESC LIMIT 1
) AS t
""")
_LATEST_DAILY_BARS = text("""
SELECT c.* FROM unnest(CAST(:symbols AS text[])) AS s(symbol)
CROSS JOIN LATERAL (
    SELECT * FROM candles WHERE candles.symbol = s.symbol AND candles.interval = '1d'
    ORDER BY bucket_start DESC LIMIT 2
) AS c
""")


@dataclass
class SnapshotRows:
    quote: Any
    trade: Any = None
    daily_bars: list[Any] = field(default_factory=list)  # newest first


async def snapshots(db: Database, symbols: list[str]) -> dict[str, SnapshotRows]:
    """Each symbol's quote, latest trade and two latest daily candles; every symbol must
    be an instrument (404 ``unknown_symbol`` for the first that is not)."""
    async with db.reading() as session:
        quote_rows = (
            await session.execute(
                select(instruments.c.symbol, *(c for c in quotes.c if c.name != "symbol"))
                .select_from(instruments.outerjoin(quotes))
                .where(instruments.c.symbol.in_(symbols))
            )
        ).all()
        found = {row.symbol: SnapshotRows(row) for row in quote_rows}
        missing = [symbol for symbol in symbols if symbol not in found]
        if missing:
            raise unknown_symbol(missing[0])
        for row in (await session.execute(_LATEST_TRADES, {"symbols": symbols})).all():
            found[row.symbol].trade = row
        for row in (await session.execute(_LATEST_DAILY_BARS, {"symbols": symbols})).all():
            found[row.symbol].daily_bars.append(row)
    return {symbol: found[symbol] for symbol in symbols}
