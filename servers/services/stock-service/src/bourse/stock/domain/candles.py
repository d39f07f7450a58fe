"""OHLCV candles: UTC buckets of fixed width, built trade by trade.

The open is the bucket's first trade by position and the close its last, so trades that
arrive out of order (redelivery, competing consumers) still make the same candle. A
trade's position is (the exchange journal's epoch, its seq): seqs start again in a new
journal, whose epoch (a UUIDv7, time-ordered) is greater than any before it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final, Literal, get_args
from uuid import UUID

from bourse.contracts.times import as_utc

Interval = Literal["1m", "5m", "15m", "1h", "1d"]
INTERVALS: Final[dict[str, timedelta]] = {
    "1m": timedelta(minutes=1),
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
}
assert set(INTERVALS) == set(get_args(Interval))
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
NO_JOURNAL: Final = UUID(int=0)  # the epoch of trades from before journals had one

Position = tuple[UUID, int]


def position(epoch: UUID | None, seq: int) -> Position:
    """Where a trade (or book) stands in the exchange's history: comparable across
    journals, since a newer journal has a greater epoch."""
    return (epoch or NO_JOURNAL, seq)


def bucket_start(ts: datetime, interval: str) -> datetime:
    """The start of the ``interval`` bucket holding ``ts`` (UTC; days start at midnight)."""
    width = INTERVALS[interval]
    return EPOCH + ((as_utc(ts) - EPOCH) // width) * width


@dataclass(frozen=True)
class Tick:
    """A trade as candles see it."""

    price: Decimal
    qty: Decimal
    seq: int
    ts: datetime
    epoch: UUID | None = None

    @property
    def position(self) -> Position:
        return position(self.epoch, self.seq)


@dataclass(frozen=True)
class Candle:
    interval: str
    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    trades: int
    open_seq: int
    close_seq: int
    open_epoch: UUID | None = None
    close_epoch: UUID | None = None

    @classmethod
    def first(cls, interval: str, tick: Tick) -> "Candle":
        p, seq, epoch = tick.price, tick.seq, tick.epoch
        start = bucket_start(tick.ts, interval)
        return cls(interval, start, p, p, p, p, tick.qty, 1, seq, seq, epoch, epoch)

    def add(self, tick: Tick) -> "Candle":
        at = tick.position
        earlier = at < position(self.open_epoch, self.open_seq)
        later = at > position(self.close_epoch, self.close_seq)
        return replace(
            self,
            open=tick.price if earlier else self.open,
            open_seq=tick.seq if earlier else self.open_seq,
            open_epoch=tick.epoch if earlier else self.open_epoch,
            close=tick.price if later else self.close,
            close_seq=tick.seq if later else self.close_seq,
            close_epoch=tick.epoch if later else self.close_epoch,
            high=max(self.high, tick.price),
            low=min(self.low, tick.price),
            volume=self.volume + tick.qty,
            trades=self.trades + 1,
        )


# The columns of a stored candle in Candle's field order.
CANDLE_FIELDS: Final = (
    "interval", "bucket_start", "open", "high", "low", "close", "volume", "trades",
    "open_seq", "close_seq", "open_epoch", "close_epoch",
)  # fmt: skip
CandleKey = tuple[str, datetime]  # (interval, bucket start)


def buckets_of(ts: datetime, intervals: Iterable[str] = INTERVALS) -> list[CandleKey]:
    return [(interval, bucket_start(ts, interval)) for interval in intervals]


def apply_tick(tick: Tick, existing: Mapping[CandleKey, Candle]) -> list[Candle]:
    """Every interval's candle after ``tick``, given the candles already stored."""
    updated = []
    for key in buckets_of(tick.ts):
        candle = existing.get(key)
        updated.append(candle.add(tick) if candle else Candle.first(key[0], tick))
    return updated
