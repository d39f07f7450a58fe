"""Market events from the exchange: the trades tape, candles, quotes and depth, and the
throttled publication of prices. Each handler runs inside the consumer's transaction.

Writes for one symbol are serialized by the lock on its instruments row (taken first by
every trade), so the read-modify-write of its candles is safe across instances.
"""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.contracts.events import BookChanged, PriceChanged, TradeExecuted
from bourse.messaging.outbox import stage
from bourse.stock.db import candles, instruments, quotes, trades
from bourse.stock.domain.book import Depth
from bourse.stock.domain.candles import (
    NO_JOURNAL,
    Candle,
    Tick,
    apply_tick,
    buckets_of,
    position,
)
from bourse.stock.domain.prices import publish_due
from bourse.stock.domain.timeutil import as_utc

log = logging.getLogger(__name__)


async def trade_executed(
    session: AsyncSession, trade: TradeExecuted, throttle: timedelta, now: datetime | None = None
) -> None:
    instrument = (
        await session.execute(
            select(
                instruments.c.last_trade_seq,
                instruments.c.last_trade_epoch,
                instruments.c.price_published_at,
            )
            .where(instruments.c.symbol == trade.symbol)
            .with_for_update()
        )
    ).one_or_none()
    if instrument is None:
        log.warning("trade %s of unknown symbol %s ignored", trade.trade_id, trade.symbol)
        return
    if not await _record(session, trade):
        return  # already on the tape: a duplicate
    tick = Tick(trade.price, trade.qty, trade.seq, as_utc(trade.ts), trade.epoch)
    await _update_candles(session, trade.symbol, tick)
    last = instrument.last_trade_seq
    if last is None or tick.position > position(instrument.last_trade_epoch, last):
        await _update_last(session, trade, tick.ts)
        now = now or datetime.now(UTC)
        await _set_last_price(session, trade, tick.ts, instrument.price_published_at, throttle, now)


async def book_changed(session: AsyncSession, book: BookChanged) -> None:
    """The latest depth and top of book; a book older than the stored one is ignored
    (older: by (journal epoch, seq), as candles order trades)."""
    depth = Depth.of(book.bids, book.asks)
    bid, ask = depth.best_bid, depth.best_ask
    stored = tuple_(func.coalesce(quotes.c.book_epoch, NO_JOURNAL), quotes.c.book_seq)
    await session.execute(
        update(quotes)
        .where(
            quotes.c.symbol == book.symbol,
            or_(quotes.c.book_seq.is_(None), stored < tuple_(*position(book.epoch, book.seq))),
        )
        .values(
            bid=bid[0] if bid else None,
            bid_size=bid[1] if bid else None,
            ask=ask[0] if ask else None,
            ask_size=ask[1] if ask else None,
            book=depth.to_json(),
            book_seq=book.seq,
            book_epoch=book.epoch,
            ts=func.greatest(quotes.c.ts, as_utc(book.ts)),
        )
    )


async def flush_prices(session: AsyncSession, throttle: timedelta, now: datetime) -> int:
    """Publish every throttled price whose slot has come; returns how many."""
    due = (
        select(instruments.c.symbol)
        .where(
            instruments.c.price_pending,
            or_(
                instruments.c.price_published_at.is_(None),
                instruments.c.price_published_at <= now - throttle,
            ),
        )
        .with_for_update(skip_locked=True)  # a row a consumer holds: the next round
    )
    rows = (
        await session.execute(
            update(instruments)
            .where(instruments.c.symbol.in_(due.scalar_subquery()))
            .values(price_pending=False, price_published_at=now)
            .returning(instruments.c.symbol, instruments.c.last_price, instruments.c.last_trade_at)
        )
    ).all()
    await stage(
        session,
        *(PriceChanged(symbol=r.symbol, price=r.last_price, ts=r.last_trade_at) for r in rows),
    )
    return len(rows)


async def flush_forever(db: Database, throttle: timedelta) -> None:
    """The background half of the throttle: a price held back is published in its slot
    even when no later trade comes."""
    period = max(throttle.total_seconds() / 2, 0.01)
    while True:
        await asyncio.sleep(period)
        try:
            await db.run(lambda session: flush_prices(session, throttle, datetime.now(UTC)))
        except Exception as exc:
            log.warning("price flush failed: %r", exc)


async def _record(session: AsyncSession, trade: TradeExecuted) -> bool:
    """Put the trade on the tape; False when it is there already (same trade id)."""
    inserted = await session.scalar(
        insert(trades)
        .values(
            trade_id=trade.trade_id,
            symbol=trade.symbol,
            price=trade.price,
            qty=trade.qty,
            taker_side=trade.taker_side,
            seq=trade.seq,
            ts=as_utc(trade.ts),
        )
        .on_conflict_do_nothing(index_elements=[trades.c.trade_id])
        .returning(trades.c.id)
    )
    return inserted is not None


async def _update_candles(session: AsyncSession, symbol: str, tick: Tick) -> None:
    stored = (
        await session.execute(
            select(candles).where(
                candles.c.symbol == symbol,
                tuple_(candles.c.interval, candles.c.bucket_start).in_(buckets_of(tick.ts)),
            )
        )
    ).all()
    existing = {(row.interval, row.bucket_start): _candle(row) for row in stored}
    rows = [_candle_row(symbol, candle) for candle in apply_tick(tick, existing)]
    statement = insert(candles).values(rows)
    changing = [c.name for c in candles.c if c.name not in {"symbol", "interval", "bucket_start"}]
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[candles.c.symbol, candles.c.interval, candles.c.bucket_start],
            set_={name: statement.excluded[name] for name in changing},
        )
    )


async def _update_last(session: AsyncSession, trade: TradeExecuted, ts: datetime) -> None:
    await session.execute(
        update(quotes)
        .where(quotes.c.symbol == trade.symbol)
        .values(
            last=trade.price,
            last_size=trade.qty,
            last_seq=trade.seq,
            ts=func.greatest(quotes.c.ts, ts),
        )
    )


async def _set_last_price(
    session: AsyncSession,
    trade: TradeExecuted,
    ts: datetime,
    published_at: datetime | None,
    throttle: timedelta,
    now: datetime,
) -> None:
    due = publish_due(published_at, now, throttle)
    await session.execute(
        update(instruments)
        .where(instruments.c.symbol == trade.symbol)
        .values(
            last_price=trade.price,
            last_trade_seq=trade.seq,
            last_trade_epoch=trade.epoch,
            last_trade_at=ts,
            price_pending=not due,
            price_published_at=now if due else published_at,
        )
    )
    if due:
        await stage(session, PriceChanged(symbol=trade.symbol, price=trade.price, ts=ts))


def _candle(row: Any) -> Candle:
    return Candle(
        row.interval,
        row.bucket_start,
        row.open,
        row.high,
        row.low,
        row.close,
        row.volume,
        row.trades,
        row.open_seq,
        row.close_seq,
        row.open_epoch,
        row.close_epoch,
    )


def _candle_row(symbol: str, candle: Candle) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "interval": candle.interval,
        "bucket_start": candle.start,
        "open": candle.open,
        "high": candle.high,
        "low": candle.low,
        "close": candle.close,
        "volume": candle.volume,
        "trades": candle.trades,
        "open_seq": candle.open_seq,
        "close_seq": candle.close_seq,
        "open_epoch": candle.open_epoch,
        "close_epoch": candle.close_epoch,
    }
