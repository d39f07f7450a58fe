"""Market events from the exchange, applied by the handlers on the real database: the
tape (idempotent by trade id), candles, quotes and depth, and the price throttle; and the
same events arriving through RabbitMQ."""

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import BookChanged, ExchangeStarted, TradeExecuted
from bourse.contracts.ids import uuid7
from bourse.messaging.uow import run_unit
from bourse.stock import market
from bourse.stock.db import candles, instruments, quotes, trades
from bourse.testing.polling import eventually

Make = Callable[[], Awaitable[str]]
Staged = Callable[[str], Awaitable[list[Envelope]]]
T0 = datetime(2026, 3, 9, 14, 58, 30, tzinfo=UTC)
THROTTLE = timedelta(milliseconds=250)
FUTURE = datetime(2100, 1, 1, tzinfo=UTC)  # a clock the background flush never reaches


def trade(
    symbol: str,
    price: str,
    seq: int,
    ts: datetime = T0,
    qty: str = "10",
    trade_id: str = "",
    epoch: uuid.UUID | None = None,
) -> TradeExecuted:
    return TradeExecuted(
        epoch=epoch,
        symbol=symbol,
        trade_id=trade_id or uuid.uuid4().hex,
        price=Decimal(price),
        qty=Decimal(qty),
        taker_side="buy",
        seq=seq,
        ts=ts,
    )


def book(
    symbol: str,
    seq: int,
    bids: list[tuple[str, str]],
    asks: list[tuple[str, str]],
    epoch: uuid.UUID | None = None,
) -> BookChanged:
    return BookChanged(
        epoch=epoch,
        symbol=symbol,
        bids=[(Decimal(p), Decimal(q)) for p, q in bids],
        asks=[(Decimal(p), Decimal(q)) for p, q in asks],
        seq=seq,
        ts=T0,
    )


async def apply(db: Database, *events: TradeExecuted | BookChanged, now: datetime = FUTURE) -> None:
    """Each event in its own transaction, as a consumer would apply it."""
    for event in events:
        async with db.transaction() as session:
            if isinstance(event, TradeExecuted):
                await market.trade_executed(session, event, THROTTLE, now)
            else:
                await market.book_changed(session, event)


async def row_of(db: Database, query: Any) -> Any:
    async with db.transaction() as session:
        return (await session.execute(query)).one()


async def candle_rows(db: Database, symbol: str, interval: str) -> list[Any]:
    async with db.transaction() as session:
        query = (
            select(candles)
            .where(candles.c.symbol == symbol, candles.c.interval == interval)
            .order_by(candles.c.bucket_start)
        )
        return list((await session.execute(query)).all())


async def test_the_tape_is_idempotent_by_trade_id(db: Database, instrument: Make) -> None:
    symbol = await instrument()
    first = trade(symbol, "100", 1, trade_id=f"{symbol}-t1")
    again = trade(symbol, "100", 1, trade_id=f"{symbol}-t1")  # another envelope, same trade
    await apply(db, first, again, first)
    count = select(func.count()).select_from(trades).where(trades.c.symbol == symbol)
    assert (await row_of(db, count))[0] == 1
    (day,) = await candle_rows(db, symbol, "1d")
    assert day.trades == 1 and day.volume == Decimal("10")


async def test_candles_across_buckets(db: Database, instrument: Make) -> None:
    symbol = await instrument()
    await apply(
        db,
        trade(symbol, "100.00", 1, T0, "5"),
        trade(symbol, "101.50", 2, T0 + timedelta(seconds=20), "5"),  # same minute
        trade(symbol, "99.00", 3, T0 + timedelta(seconds=45), "1"),  # 14:59, same 5m/1h
        trade(symbol, "102.00", 4, T0 + timedelta(minutes=2), "2"),  # 15:00: new 5m, 1h
    )
    minutes = await candle_rows(db, symbol, "1m")
    assert [(c.bucket_start.minute, c.trades) for c in minutes] == [(58, 2), (59, 1), (0, 1)]
    assert (minutes[0].open, minutes[0].high, minutes[0].low, minutes[0].close) == (
        Decimal("100.00"),
        Decimal("101.50"),
        Decimal("100.00"),
        Decimal("101.50"),
    )
    assert minutes[0].volume == Decimal("10")
    fives = await candle_rows(db, symbol, "5m")
    assert [(c.bucket_start.hour, c.bucket_start.minute) for c in fives] == [(14, 55), (15, 0)]
    assert (fives[0].open, fives[0].high, fives[0].low, fives[0].close) == (
        Decimal("100.00"),
        Decimal("101.50"),
        Decimal("99.00"),
        Decimal("99.00"),
    )
    assert fives[0].volume == Decimal("11") and fives[0].trades == 3
    (day,) = await candle_rows(db, symbol, "1d")
    assert (day.open, day.close, day.trades, day.volume) == (
        Decimal("100.00"),
        Decimal("102.00"),
        4,
        Decimal("13"),
    )
    assert len(await candle_rows(db, symbol, "1h")) == 2
    assert len(await candle_rows(db, symbol, "15m")) == 2


async def test_a_late_trade_opens_its_candle_but_does_not_set_the_last_price(
    db: Database, instrument: Make
) -> None:
    symbol = await instrument()
    await apply(db, trade(symbol, "105", 8), trade(symbol, "95", 3))
    (minute,) = await candle_rows(db, symbol, "1m")
    assert (minute.open, minute.close) == (Decimal("95"), Decimal("105"))
    quote = await row_of(db, select(quotes).where(quotes.c.symbol == symbol))
    assert (quote.last, quote.last_size) == (Decimal("105"), Decimal("10"))
    price = select(instruments.c.last_price).where(instruments.c.symbol == symbol)
    assert (await row_of(db, price))[0] == Decimal("105")


async def test_quotes_and_depth_come_from_books_and_stale_books_are_ignored(
    db: Database, instrument: Make
) -> None:
    symbol = await instrument()
    await apply(db, book(symbol, 10, [("99.5", "3"), ("100", "2")], [("101", "7")]))
    await apply(db, book(symbol, 9, [("50", "1")], [("60", "1")]))  # older: ignored
    await apply(db, book(symbol, 10, [("51", "1")], []))  # same seq: ignored
    quote = await row_of(db, select(quotes).where(quotes.c.symbol == symbol))
    assert (quote.bid, quote.bid_size, quote.ask, quote.ask_size) == (
        Decimal("100"),
        Decimal("2"),
        Decimal("101"),
        Decimal("7"),
    )
    assert quote.book == {"bids": [["100", "2"], ["99.5", "3"]], "asks": [["101", "7"]]}
    await apply(db, book(symbol, 11, [], [("101", "1")]))  # bids all gone
    quote = await row_of(db, select(quotes).where(quotes.c.symbol == symbol))
    assert (quote.bid, quote.ask, quote.book_seq) == (None, Decimal("101"), 11)


async def test_a_new_exchange_journal_supersedes_the_old_one_though_its_seqs_restart(
    db: Database, instrument: Make
) -> None:
    symbol = await instrument()
    old, new = uuid7(), uuid7()
    later = T0 + timedelta(seconds=10)
    await apply(
        db,
        trade(symbol, "100", 40, epoch=old),
        book(symbol, 90, [("99", "1")], [], epoch=old),
        trade(symbol, "110", 1, later, epoch=new),  # the new journal: seq 1 again
        book(symbol, 2, [("108", "4")], [("111", "1")], epoch=new),
        book(symbol, 95, [("1", "1")], [], epoch=old),  # a straggler of the old journal
        trade(symbol, "1", 45, epoch=old),  # (the tape keeps it, but it is not the last)
    )
    price = select(instruments.c.last_price).where(instruments.c.symbol == symbol)
    assert (await row_of(db, price))[0] == Decimal("110")
    quote = await row_of(db, select(quotes).where(quotes.c.symbol == symbol))
    assert (quote.bid, quote.ask, quote.book_seq, quote.book_epoch) == (
        Decimal("108"),
        Decimal("111"),
        2,
        new,
    )
    (day,) = await candle_rows(db, symbol, "1d")
    assert (day.open, day.close, day.trades) == (Decimal("100"), Decimal("110"), 3)
    assert (day.close_seq, day.close_epoch) == (1, new)


async def test_events_of_unknown_symbols_are_ignored(db: Database) -> None:
    await apply(db, trade("NOPE.X", "1", 1), book("NOPE.X", 1, [("1", "1")], []))
    count = select(func.count()).select_from(trades).where(trades.c.symbol == "NOPE.X")
    assert (await row_of(db, count))[0] == 0


async def test_prices_are_throttled_but_the_latest_is_never_dropped(
    db: Database, instrument: Make, staged: Staged
) -> None:
    symbol = await instrument()
    key = f"market.price.{symbol}"
    start = FUTURE
    await apply(db, trade(symbol, "100", 1), now=start)  # first: published at once
    await apply(db, trade(symbol, "101", 2), now=start + timedelta(milliseconds=100))
    await apply(db, trade(symbol, "102", 3), now=start + timedelta(milliseconds=200))
    assert [e.payload["price"] for e in await staged(key)] == ["100"]
    # Not yet due: the flush holds it back.
    early = start + timedelta(milliseconds=240)
    assert await run_unit(db, lambda uow: market.flush_prices(uow, THROTTLE, early)) == 0
    due = start + timedelta(milliseconds=250)
    assert await run_unit(db, lambda uow: market.flush_prices(uow, THROTTLE, due)) >= 1
    published = await staged(key)
    assert [e.payload["price"] for e in published] == ["100", "102"]
    assert published[-1].type == "market.price"
    assert published[-1].payload["symbol"] == symbol
    # Nothing pending any more; a later trade in a new slot goes out directly.
    later = due + timedelta(seconds=1)
    assert await run_unit(db, lambda uow: market.flush_prices(uow, THROTTLE, later)) == 0
    await apply(db, trade(symbol, "103", 4), now=later)
    assert [e.payload["price"] for e in await staged(key)] == ["100", "102", "103"]


async def test_the_background_flush_publishes_a_held_back_price(
    db: Database, instrument: Make, staged: Staged
) -> None:
    symbol = await instrument()
    now = datetime.now(UTC)
    await apply(db, trade(symbol, "100", 1), trade(symbol, "101", 2), now=now)
    flusher = asyncio.create_task(market.flush_forever(db, THROTTLE))
    try:
        published = await eventually(lambda: _prices(staged, symbol, 2), timeout=5)
    finally:
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
    assert [e.payload["price"] for e in published] == ["100", "101"]


async def _prices(staged: Staged, symbol: str, count: int) -> list[Envelope] | None:
    events = await staged(f"market.price.{symbol}")
    return events if len(events) >= count else None


async def test_trades_and_books_arrive_through_the_broker(
    app: FastAPI, client: httpx.AsyncClient, instrument: Make
) -> None:
    symbol = await instrument()
    broker = app.state.runtime.broker
    await broker.publish(trade(symbol, "42.10", 1, qty="3"))
    await broker.publish(book(symbol, 2, [("42.00", "5")], [("42.20", "4")]))

    async def quoted() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(f"/api/v1/stocks/{symbol}/quote")).json()
        return body if body["last"] and body["bid"] else None

    quote = await eventually(quoted)
    assert (quote["last"], quote["last_size"], quote["bid"], quote["ask"]) == (
        "42.1",  # canonical decimals: no trailing zeros
        "3",
        "42",
        "42.2",
    )
    tape = (await client.get(f"/api/v1/stocks/{symbol}/trades")).json()
    assert [t["price"] for t in tape["items"]] == ["42.1"]


async def test_a_starting_exchange_shard_hears_every_instrument_again(
    app: FastAPI, instrument: Make, staged: Staged
) -> None:
    symbol = await instrument()
    before = len(await staged(f"instrument.changed.{symbol}"))
    started = ExchangeStarted(shard=0, shards=2, epoch=uuid7(), seq=0)  # perhaps an empty journal
    await app.state.runtime.broker.publish(started)

    async def announced() -> list[Envelope] | None:
        events = await staged(f"instrument.changed.{symbol}")
        return events if len(events) > before else None

    (*_, latest) = await eventually(announced, timeout=5)
    assert (latest.payload["symbol"], latest.payload["status"]) == (symbol, "trading")
