"""The live market's pure parts: book differences (a client applying them holds the
published book), 1-minute bars (closed by a later trade or by the clock, like the stored
candles), the /ws/market protocol and the subscription limit."""

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bourse.stock.domain.candles import Tick, apply_tick
from bourse.stock.domain.live import Levels, LiveBar, LiveBook, apply_levels, level_changes
from bourse.stock.live.protocol import ProtocolError, over_limit, parse

T0 = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
EPOCH = uuid.UUID(int=7)
D = Decimal


def side(*levels: tuple[str, str]) -> list[tuple[Decimal, Decimal]]:
    return [(D(price), D(qty)) for price, qty in levels]


def test_level_changes_are_new_totals_and_zeros() -> None:
    before = {D("10"): D("5"), D("9"): D("1"), D("8"): D("2")}
    after = {D("10"): D("5"), D("9"): D("3"), D("7"): D("4")}
    assert level_changes(before, after) == {D("9"): D("3"), D("7"): D("4"), D("8"): D("0")}


def test_each_newer_depth_is_one_numbered_update() -> None:
    book = LiveBook()
    first = book.apply((EPOCH, 5), side(("10", "5")), side(("11", "1")), T0)
    assert first is not None and first.seq == 1
    assert first.bids == side(("10", "5")) and first.asks == side(("11", "1"))
    assert book.apply((EPOCH, 4), side(("10", "9")), [], T0) is None  # older: ignored
    assert book.apply((EPOCH, 5), side(("10", "9")), [], T0) is None  # a repeat
    assert book.apply((EPOCH, 6), side(("10", "5")), side(("11", "1")), T0) is None  # same
    second = book.apply((EPOCH, 9), side(("10", "5"), ("9", "2")), [], T0)
    assert second is not None and second.seq == 2  # no gap for the update that was empty
    assert second.bids == side(("9", "2")) and second.asks == side(("11", "0"))
    assert book.top().bid == (D("10"), D("5")) and book.top().ask is None


def test_a_new_journal_epoch_is_newer_whatever_its_seq() -> None:
    book = LiveBook()
    book.apply((EPOCH, 500), side(("10", "5")), [], T0)
    newer = uuid.UUID(int=8)
    update = book.apply((newer, 1), [], [], T0)
    assert update is not None and update.bids == side(("10", "0"))


def test_a_client_applying_updates_holds_the_published_book() -> None:
    rng = random.Random(11)
    book = LiveBook()
    client_bids: Levels = {}
    client_asks: Levels = {}
    seen = 0
    for seq in range(1, 400):
        bids = {D(rng.randint(90, 99)): D(rng.randint(1, 5)) for _ in range(rng.randint(0, 10))}
        asks = {D(rng.randint(100, 110)): D(rng.randint(1, 5)) for _ in range(rng.randint(0, 10))}
        update = book.apply((EPOCH, seq), list(bids.items()), list(asks.items()), T0)
        if update is not None:
            assert update.seq == seen + 1
            seen = update.seq
            apply_levels(client_bids, update.bids)
            apply_levels(client_asks, update.asks)
        assert (client_bids, client_asks) == (bids, asks)


def tick(price: str, seq: int, at: datetime, qty: str = "1") -> Tick:
    return Tick(D(price), D(qty), seq, at, EPOCH)


def test_a_bar_closes_on_a_later_minutes_trade_and_matches_the_candle() -> None:
    bar = LiveBar()
    ticks = [tick("10", 1, T0), tick("12", 2, T0 + timedelta(seconds=20)), tick("9", 3, T0)]
    for t in ticks:
        assert bar.trade(t) == (True, None)
    new, closed = bar.trade(tick("11", 4, T0 + timedelta(minutes=1, seconds=1)))
    assert new and closed is not None
    candle = None
    for t in ticks:
        candle = next(c for c in apply_tick(t, {("1m", T0): candle} if candle else {}))
    assert closed == candle
    assert (closed.open, closed.high, closed.low, closed.close) == (D(10), D(12), D(9), D(9))
    assert closed.volume == D(3)


def test_the_clock_closes_a_bar_once_its_minute_is_over() -> None:
    bar = LiveBar()
    bar.trade(tick("10", 1, T0 + timedelta(seconds=59)))
    assert bar.close_due(T0 + timedelta(seconds=59, microseconds=999_999)) is None
    closed = bar.close_due(T0 + timedelta(minutes=1))
    assert closed is not None and closed.start == T0
    assert bar.close_due(T0 + timedelta(minutes=5)) is None  # no trade: no bar
    new, late = bar.trade(tick("10", 2, T0 + timedelta(seconds=59)))  # late for its bar
    assert new and late is None and bar.bar is None


def test_repeated_and_seeded_trades_count_once() -> None:
    bar = LiveBar()
    seeded = next(iter(apply_tick(tick("10", 5, T0), {})))
    bar.seed(seeded, (EPOCH, 5))
    assert bar.trade(tick("10", 5, T0)) == (False, None)  # in the seed already
    assert bar.trade(tick("12", 6, T0))[0]
    assert bar.trade(tick("12", 6, T0)) == (False, None)  # a redelivered copy
    closed = bar.close_due(T0 + timedelta(minutes=1))
    assert closed is not None and closed.volume == D(2) and closed.trades == 2


def test_the_protocol() -> None:
    request = parse('{"action":"subscribe","trades":["aapl"],"book":["AAPL","MSFT"]}')
    assert request.action == "subscribe"
    assert request.channels == {"trades": {"AAPL"}, "book": {"AAPL", "MSFT"}}
    assert request.symbols == {"AAPL", "MSFT"}
    for bad in ("nope", "[]", '{"action":"buy"}', '{"action":"subscribe","trades":"AAPL"}',
                '{"action":"subscribe","news":["AAPL"]}'):  # fmt: skip
        with pytest.raises(ProtocolError) as caught:
            parse(bad)
        assert caught.value.code == "invalid_message"
    with pytest.raises(ProtocolError) as caught:
        parse('{"action":"subscribe","trades":["no such symbol"]}')
    assert caught.value.code == "unknown_symbol"


def test_the_subscription_limit_counts_symbol_channel_pairs() -> None:
    current = {"trades": {"A", "B"}, "quotes": set(), "book": {"A"}, "bars": set()}
    assert not over_limit(current, parse('{"action":"subscribe","trades":["A","C"]}'), 4)
    assert over_limit(current, parse('{"action":"subscribe","trades":["C"],"bars":["A"]}'), 4)
