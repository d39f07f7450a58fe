"""The hot path's SQL of stock-service (the consumer's batches of market data), on
asyncpg inside the consumer's transaction: one statement per table for a whole batch.
Writes for one symbol are serialized by the lock on its instruments row, taken first
(in symbol order) by every batch of trades; quotes rows are locked in symbol order too,
by batches of trades and of books alike."""

import json
from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg

from bourse.common.db import unnest_columns
from bourse.contracts.events import BookChanged, TradeExecuted
from bourse.contracts.times import as_utc
from bourse.stock.domain.book import Depth, Newest
from bourse.stock.domain.candles import Candle, CandleKey, Position, position
from bourse.stock.domain.tape import Last, Tape

_LOCK_INSTRUMENTS = """
SELECT symbol, last_price, last_trade_seq, last_trade_epoch, last_trade_at,
       price_published_at, price_pending
FROM instruments WHERE symbol = ANY($1::text[]) ORDER BY symbol FOR UPDATE
"""
_RECORD_TRADES = """
INSERT INTO trades (trade_id, symbol, price, qty, taker_side, seq, ts)
SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::text[],
                     $6::bigint[], $7::timestamptz[])
ON CONFLICT (trade_id) DO NOTHING RETURNING trade_id
"""
_CANDLES = """
SELECT c.* FROM candles c
JOIN unnest($1::text[], $2::text[], $3::timestamptz[]) AS k(symbol, interval, bucket_start)
  ON c.symbol = k.symbol AND c.interval = k.interval AND c.bucket_start = k.bucket_start
"""
_CANDLE_COLUMNS = (
    ("symbol", "text"), ("interval", "text"), ("bucket_start", "timestamptz"),
    ("open", "numeric"), ("high", "numeric"), ("low", "numeric"), ("close", "numeric"),
    ("volume", "numeric"), ("trades", "integer"), ("open_seq", "bigint"),
    ("close_seq", "bigint"), ("open_epoch", "uuid"), ("close_epoch", "uuid"),
)  # fmt: skip
_SAVE_CANDLES = (
    "INSERT INTO candles ("
    + ", ".join(name for name, _ in _CANDLE_COLUMNS)
    + ") SELECT * FROM unnest("
    + ", ".join(f"${n}::{kind}[]" for n, (_, kind) in enumerate(_CANDLE_COLUMNS, start=1))
    + ") ON CONFLICT (symbol, interval, bucket_start) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name, _ in _CANDLE_COLUMNS[3:])
)
_SAVE_LAST_PRICES = """
UPDATE instruments i SET last_price = u.price, last_trade_seq = u.seq,
       last_trade_epoch = u.epoch, last_trade_at = u.at, price_pending = u.pending,
       price_published_at = u.published_at
FROM unnest($1::text[], $2::numeric[], $3::bigint[], $4::uuid[], $5::timestamptz[],
            $6::bool[], $7::timestamptz[]) AS u(symbol, price, seq, epoch, at, pending,
                                                  published_at)
WHERE i.symbol = u.symbol
"""
_SAVE_LAST_TRADES = """
UPDATE quotes q SET last = u.price, last_size = u.size, last_seq = u.seq,
       ts = greatest(q.ts, u.ts)
FROM unnest($1::text[], $2::numeric[], $3::numeric[], $4::bigint[], $5::timestamptz[])
     AS u(symbol, price, size, seq, ts)
WHERE q.symbol = u.symbol
"""
_LOCK_BOOKS = """
SELECT symbol, book_epoch, book_seq FROM quotes
WHERE symbol = ANY($1::text[]) ORDER BY symbol FOR UPDATE
"""
_SAVE_BOOKS = """
UPDATE quotes q SET bid = u.bid, bid_size = u.bid_size, ask = u.ask, ask_size = u.ask_size,
       book = u.book, book_seq = u.seq, book_epoch = u.epoch, ts = greatest(q.ts, u.ts)
FROM unnest($1::text[], $2::numeric[], $3::numeric[], $4::numeric[], $5::numeric[],
            $6::jsonb[], $7::bigint[], $8::uuid[], $9::timestamptz[])
     AS u(symbol, bid, bid_size, ask, ask_size, book, seq, epoch, ts)
WHERE q.symbol = u.symbol
"""


async def lock_last(pg: asyncpg.Connection, symbols: Iterable[str]) -> dict[str, Last]:
    """The known symbols' last trade and price, their instruments rows locked."""
    rows = await pg.fetch(_LOCK_INSTRUMENTS, sorted(set(symbols)))
    return {
        row["symbol"]: Last(
            row["last_price"],
            row["last_trade_seq"],
            row["last_trade_epoch"],
            row["last_trade_at"],
            row["price_published_at"],
            row["price_pending"],
        )
        for row in rows
    }


async def record_trades(pg: asyncpg.Connection, trades: list[TradeExecuted]) -> set[str]:
    """Put trades on the tape; returns the ids of those that were not on it yet."""
    if not trades:
        return set()
    columns = [
        [t.trade_id for t in trades], [t.symbol for t in trades], [t.price for t in trades],
        [t.qty for t in trades], [t.taker_side for t in trades], [t.seq for t in trades],
        [as_utc(t.ts) for t in trades],
    ]  # fmt: skip
    return {row[0] for row in await pg.fetch(_RECORD_TRADES, *columns)}


async def candles(
    pg: asyncpg.Connection, keys: set[tuple[str, CandleKey]]
) -> dict[str, dict[CandleKey, Candle]]:
    found: dict[str, dict[CandleKey, Candle]] = {}
    if not keys:
        return found
    ordered = sorted(keys)
    rows = await pg.fetch(
        _CANDLES,
        [symbol for symbol, _ in ordered],
        [key[0] for _, key in ordered],
        [key[1] for _, key in ordered],
    )
    for row in rows:
        candle = Candle(*(row[name] for name, _ in _CANDLE_COLUMNS[1:]))
        found.setdefault(row["symbol"], {})[(candle.interval, candle.start)] = candle
    return found


async def save_tape(pg: asyncpg.Connection, tape: Tape) -> None:
    """Write back the batch's candles and last trades and prices: one statement each."""
    if tape.changed_candles:
        rows = [
            (s, *_candle_values(tape.candles[s][key])) for s, key in sorted(tape.changed_candles)
        ]
        await pg.execute(_SAVE_CANDLES, *unnest_columns(rows))
    moved = sorted(((s, last) for s, last in tape.last.items() if last.changed), key=_first)
    if not moved:
        return
    symbols = [symbol for symbol, _ in moved]
    lasts = [last for _, last in moved]
    await pg.execute(
        _SAVE_LAST_PRICES, symbols, [x.price for x in lasts], [x.seq for x in lasts],
        [x.epoch for x in lasts], [x.at for x in lasts], [x.pending for x in lasts],
        [x.published_at for x in lasts],
    )  # fmt: skip
    # The quotes rows in symbol order first, as a batch of books takes them: the UPDATE
    # below locks them in its join's order, which against a concurrent batch of books
    # (another replica, the same symbols) was a deadlock.
    await pg.fetch(_LOCK_BOOKS, symbols)
    await pg.execute(
        _SAVE_LAST_TRADES, symbols, [x.price for x in lasts], [x.size for x in lasts],
        [x.seq for x in lasts], [x.newest_ts for x in lasts],
    )  # fmt: skip


def _candle_values(candle: Candle) -> tuple[Any, ...]:
    return (
        candle.interval, candle.start, candle.open, candle.high, candle.low, candle.close,
        candle.volume, candle.trades, candle.open_seq, candle.close_seq, candle.open_epoch,
        candle.close_epoch,
    )  # fmt: skip


async def lock_books(pg: asyncpg.Connection, symbols: Iterable[str]) -> dict[str, Position]:
    """Where each symbol's stored book stands (its quotes row locked); none yet: absent."""
    rows = await pg.fetch(_LOCK_BOOKS, sorted(set(symbols)))
    return {
        row["symbol"]: position(row["book_epoch"], row["book_seq"])
        for row in rows
        if row["book_seq"] is not None
    }


async def save_books(pg: asyncpg.Connection, books: Mapping[str, Newest]) -> None:
    """Each symbol's book and the newest time of the books applied."""
    if not books:
        return
    rows = [_book_values(books[s].book, books[s].ts) for s in sorted(books)]
    await pg.execute(_SAVE_BOOKS, *unnest_columns(rows))


def _book_values(book: BookChanged, ts: Any) -> tuple[Any, ...]:
    depth = Depth.of(book.bids, book.asks)
    bid, ask = depth.best_bid, depth.best_ask
    return (
        book.symbol, bid[0] if bid else None, bid[1] if bid else None,
        ask[0] if ask else None, ask[1] if ask else None, json.dumps(depth.to_json()),
        book.seq, book.epoch, ts,
    )  # fmt: skip


def _first(item: tuple[str, Last]) -> str:
    return item[0]
