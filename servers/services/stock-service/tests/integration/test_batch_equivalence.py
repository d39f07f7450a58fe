"""Property: applying trades and books in batches (of any cut) leaves exactly the tape,
candles, last trades and prices, quotes and outbox events (same order) that applying them
one at a time leaves (ARCHITECTURE §4a).

Each example draws a random flow for two symbols: trades out of sequence order and across
two exchange journals, trades repeated under a new message id, books out of order,
redeliveries; applies it once message by message and once cut into random batches, on a
database of its own, and compares. The price throttle is an hour long, so whether a price
is published never depends on the moment a message happens to be applied."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import BookChanged, TradeExecuted
from bourse.messaging.consumer import batch_handlers
from bourse.stock.config import Settings
from bourse.stock.consumers import market_subscription
from bourse.stock.handlers import http
from bourse.stock.main import MIGRATIONS
from bourse.testing.infra import migrated_database
from bourse.testing.messaging import (
    BATCH_CUTS,
    applied_both_ways,
    batch_property,
    envelope_of,
    rows_and_outbox,
)

SYMBOLS = ["ACME", "BOLT"]
JOURNALS = [uuid.UUID("01900000-0000-7000-8000-00000000000a"), None]
T0 = datetime(2026, 3, 9, 14, 30, tzinfo=UTC)
CONSUMER = "stock.market"
_SUB = market_subscription(Settings(price_publish_interval_ms=3_600_000))
HANDLERS = batch_handlers(_SUB.handlers, _SUB.batch)

Op = tuple[str, int, int, int]
ops = st.lists(
    st.tuples(
        st.sampled_from(["trade", "trade", "book", "again", "dup"]),
        st.integers(0, 3),
        st.integers(1, 40),
        st.integers(0, 600),
    ),
    min_size=10,
    max_size=60,
)


def flow(drawn: list[Op]) -> list[Envelope]:
    out: list[Envelope] = []
    for kind, who, seq, seconds in drawn:
        symbol, journal = SYMBOLS[who % 2], JOURNALS[who // 2]
        at = T0 + timedelta(seconds=seconds)
        if kind == "trade":
            trade = TradeExecuted(
                symbol=symbol,
                trade_id=f"{symbol}:{journal}:{seq}",
                price=Decimal(100 + seq % 7),
                qty=Decimal(1 + seconds % 5),
                taker_side="buy" if seq % 2 else "sell",
                seq=seq,
                ts=at,
                epoch=journal,
            )
            out.append(envelope_of(trade))
        elif kind == "book":
            levels = [(Decimal(100 - seq % 3), Decimal(seconds % 9))]
            book = BookChanged(symbol=symbol, bids=levels, asks=[], seq=seq, ts=at, epoch=journal)
            out.append(envelope_of(book))
        elif kind == "again" and out:  # the same payload under a new message id
            again = out[seq % len(out)]
            out.append(Envelope(type=again.type, payload=again.payload))
        elif kind == "dup" and out:
            out.append(out[seq % len(out)])
    return out


@pytest.fixture(scope="module")
async def market_db() -> AsyncIterator[Database]:
    async with migrated_database("bourse_stock_batch", MIGRATIONS) as database:
        yield database


async def fresh(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text("TRUNCATE instruments, quotes, trades, candles CASCADE"))
        await session.execute(text("TRUNCATE outbox, inbox"))
        for symbol in SYMBOLS:
            await http.create_instrument(
                session, http.NewInstrument(symbol, symbol, Decimal("0.01"), Decimal(1))
            )
        await session.execute(text("TRUNCATE outbox"))


QUERIES = {
    "trades": "SELECT trade_id, symbol, price, qty, taker_side, seq, ts FROM trades ORDER BY id",
    "candles": "SELECT * FROM candles ORDER BY symbol, interval, bucket_start",
    "instruments": (
        "SELECT symbol, last_price, last_trade_seq, last_trade_epoch, last_trade_at,"
        " price_pending, price_published_at IS NULL FROM instruments ORDER BY symbol"
    ),
    "quotes": (
        "SELECT symbol, bid, bid_size, ask, ask_size, last, last_size, last_seq, ts, book,"
        " book_seq, book_epoch FROM quotes ORDER BY symbol"
    ),
    "inbox": "SELECT message_id FROM inbox ORDER BY 1",
}


async def state(db: Database) -> dict[str, list[Any]]:
    return await rows_and_outbox(db, QUERIES)


@batch_property()
@given(drawn=ops, sizes=BATCH_CUTS)
async def test_any_cut_into_batches_gives_what_one_at_a_time_gives(
    market_db: Database, drawn: list[Op], sizes: list[int]
) -> None:
    one_at_a_time, batched = await applied_both_ways(
        market_db, CONSUMER, HANDLERS, flow(drawn), sizes, reset=fresh, read=state
    )
    assert batched == one_at_a_time
