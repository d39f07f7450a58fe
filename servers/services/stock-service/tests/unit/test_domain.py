"""The pure model: candle buckets and their OHLCV, depth, the price throttle."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bourse.stock.domain.book import MAX_DEPTH, Depth, is_newer
from bourse.stock.domain.candles import Candle, Tick, apply_tick, bucket_start
from bourse.stock.domain.prices import publish_due

T = datetime(2026, 3, 9, 14, 37, 42, 123456, tzinfo=UTC)


def tick(price: str, seq: int, ts: datetime = T, qty: str = "10") -> Tick:
    return Tick(Decimal(price), Decimal(qty), seq, ts)


@pytest.mark.parametrize(
    ("interval", "start"),
    [
        ("1m", datetime(2026, 3, 9, 14, 37, tzinfo=UTC)),
        ("5m", datetime(2026, 3, 9, 14, 35, tzinfo=UTC)),
        ("15m", datetime(2026, 3, 9, 14, 30, tzinfo=UTC)),
        ("1h", datetime(2026, 3, 9, 14, 0, tzinfo=UTC)),
        ("1d", datetime(2026, 3, 9, tzinfo=UTC)),
    ],
)
def test_buckets_start_on_utc_boundaries(interval: str, start: datetime) -> None:
    assert bucket_start(T, interval) == start
    assert bucket_start(start, interval) == start  # a boundary belongs to its own bucket
    assert bucket_start(start - timedelta(microseconds=1), interval) < start


def test_naive_times_are_utc_and_other_zones_are_converted() -> None:
    assert bucket_start(T.replace(tzinfo=None), "1h") == datetime(2026, 3, 9, 14, tzinfo=UTC)
    new_york = timezone(timedelta(hours=-5))
    late_evening = datetime(2026, 3, 9, 22, 30, tzinfo=new_york)  # 03:30 UTC next day
    assert bucket_start(late_evening, "1d") == datetime(2026, 3, 10, tzinfo=UTC)
    assert bucket_start(late_evening, "1d").utcoffset() == timedelta(0)


def test_first_trade_opens_a_candle() -> None:
    candle = Candle.first("5m", tick("101.25", 7))
    assert candle.start == datetime(2026, 3, 9, 14, 35, tzinfo=UTC)
    assert (candle.open, candle.high, candle.low, candle.close) == (Decimal("101.25"),) * 4
    assert (candle.volume, candle.trades, candle.open_seq, candle.close_seq) == (
        Decimal(10),
        1,
        7,
        7,
    )


def test_open_and_close_follow_the_sequence_not_arrival() -> None:
    candle = Candle.first("1m", tick("100", 5))
    candle = candle.add(tick("103", 9, qty="1"))  # later: the new close
    candle = candle.add(tick("98", 2, qty="2"))  # earlier, arrived late: the new open
    candle = candle.add(tick("101", 6, qty="3"))  # in between: neither
    assert (candle.open, candle.high, candle.low, candle.close) == (
        Decimal("98"),
        Decimal("103"),
        Decimal("98"),
        Decimal("103"),
    )
    assert (candle.volume, candle.trades, candle.open_seq, candle.close_seq) == (
        Decimal(16),
        4,
        2,
        9,
    )


def test_a_tick_updates_every_interval_and_new_buckets_start_fresh() -> None:
    first = apply_tick(tick("100", 1), {})
    assert [c.interval for c in first] == ["1m", "5m", "15m", "1h", "1d"]
    stored = {(c.interval, c.start): c for c in first}
    next_minute = apply_tick(tick("110", 2, T + timedelta(seconds=30)), stored)
    by_interval = {c.interval: c for c in next_minute}
    assert by_interval["1m"].trades == 1 and by_interval["1m"].open == Decimal("110")
    assert by_interval["5m"].trades == 2 and by_interval["5m"].open == Decimal("100")
    assert by_interval["1d"].close == Decimal("110") and by_interval["1d"].high == Decimal("110")


def test_depth_is_sorted_best_first_without_empty_levels_and_capped() -> None:
    d = Decimal
    depth = Depth.of(
        [(d("99"), d("1")), (d("100"), d("2")), (d("98"), d("0"))],
        [(d("102"), d("1")), (d("101"), d("5"))],
    )
    assert depth.best_bid == (d("100"), d("2")) and depth.best_ask == (d("101"), d("5"))
    assert depth.bids == [(d("100"), d("2")), (d("99"), d("1"))]
    assert Depth.from_json(depth.to_json()) == depth
    deep = Depth.of([(d(p), d("1")) for p in range(1, 100)], [])
    assert len(deep.bids) == MAX_DEPTH and deep.bids[0][0] == d("99")
    assert Depth.from_json(deep.to_json(), 3) == Depth(deep.bids[:3], [])
    assert Depth.of([], []).best_bid is None


def test_sequence_newness() -> None:
    assert is_newer(1, None) and is_newer(5, 4)
    assert not is_newer(4, 4) and not is_newer(3, 4)


def test_price_throttle() -> None:
    interval = timedelta(milliseconds=250)
    assert publish_due(None, T, interval)
    assert not publish_due(T, T + timedelta(milliseconds=249), interval)
    assert publish_due(T, T + interval, interval)
