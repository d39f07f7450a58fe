"""What stock-service does with the market data it consumes, a batch at a time
(ARCHITECTURE §4a): the batch's trades go on the tape with one statement; those new to
it update candles, last trades and prices in memory, in message order (domain/tape.py),
written back once per table; of the batch's books, each symbol's quotes row takes the
newest (domain/book.py). Both run inside the consumer's unit of work."""

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bourse.contracts.events import BookChanged, TradeExecuted
from bourse.messaging.uow import Event, UnitOfWork
from bourse.stock import store
from bourse.stock.domain.book import apply_books
from bourse.stock.domain.tape import Last, Tape, buckets_of_trades

log = logging.getLogger(__name__)
TRADE, BOOK = TradeExecuted.TYPE, BookChanged.TYPE


async def on_market(throttle: timedelta, uow: UnitOfWork, events: Sequence[Event[Any]]) -> None:
    """A batch's trades and books in one call, so that its row locks are taken once, in
    one order (every instruments row of its trades, then every quotes row, each in symbol
    order): several batches in turn inside one transaction, each locking its own symbols,
    deadlocked against another replica's transaction on the same symbols. Trades and books
    write different columns, so applying all trades, then all books, is the same as
    applying them in message order."""
    trades: list[Event[TradeExecuted]] = [e for e in events if e.envelope.type == TRADE]
    books: list[BookChanged] = [e.payload for e in events if e.envelope.type == BOOK]
    pg = await uow.pg()
    last = await store.lock_last(pg, {event.payload.symbol for event in trades})
    stored = await store.lock_books(pg, {event.payload.symbol for event in events})
    if trades:
        await record_trades(uow, trades, last, throttle, datetime.now(UTC))
    if books:
        await store.save_books(pg, apply_books(stored, books))


async def apply_trades(
    uow: UnitOfWork, events: Sequence[Event[TradeExecuted]], throttle: timedelta, now: datetime
) -> None:
    """Trades of known symbols go on the tape once each (by trade id); the new ones move
    candles, the last trade and the (throttled) price."""
    pg = await uow.pg()
    last = await store.lock_last(pg, {event.payload.symbol for event in events})
    await record_trades(uow, events, last, throttle, now)


async def record_trades(
    uow: UnitOfWork,
    events: Sequence[Event[TradeExecuted]],
    last: Mapping[str, Last],
    throttle: timedelta,
    now: datetime,
) -> None:
    """:func:`apply_trades` once ``last`` (the symbols' instruments rows) is locked."""
    pg = await uow.pg()
    known = [event for event in events if _known(event.payload, last)]
    new = await store.record_trades(pg, _first_copies([event.payload for event in known]))
    fresh = []
    for event in known:
        if event.payload.trade_id in new:
            new.discard(event.payload.trade_id)  # a second copy later is a repeat
            fresh.append(event)
    trades = [event.payload for event in fresh]
    tape = Tape(dict(last), await store.candles(pg, buckets_of_trades(trades)))
    for event in fresh:
        uow.stage(*tape.record(event.payload, throttle, now), cause=event)
    await store.save_tape(pg, tape)


def _known(trade: TradeExecuted, last: Mapping[str, object]) -> bool:
    if trade.symbol in last:
        return True
    log.warning("trade %s of unknown symbol %s ignored", trade.trade_id, trade.symbol)
    return False


def _first_copies(trades: list[TradeExecuted]) -> list[TradeExecuted]:
    seen: dict[str, TradeExecuted] = {}
    for trade in trades:
        seen.setdefault(trade.trade_id, trade)
    return list(seen.values())


async def on_books(uow: UnitOfWork, events: Sequence[Event[BookChanged]]) -> None:
    """The latest depth and top of book; a book older than the one held is ignored."""
    books = [event.payload for event in events]
    pg = await uow.pg()
    stored = await store.lock_books(pg, {book.symbol for book in books})
    await store.save_books(pg, apply_books(stored, books))
