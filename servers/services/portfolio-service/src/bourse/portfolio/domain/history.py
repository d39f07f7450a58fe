"""Equity history: the sampling slots and the timeframes it is served in."""

from datetime import UTC, datetime, timedelta
from typing import Literal

from bourse.contracts.times import as_utc

Timeframe = Literal["1m", "1h", "1d"]
# PostgreSQL date_trunc units of each timeframe.
UNITS: dict[Timeframe, str] = {"1m": "minute", "1h": "hour", "1d": "day"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def slot_of(now: datetime, interval_s: float) -> datetime:
    """The start of the sampling slot ``now`` falls in. Slots are aligned on the epoch (in
    whole microseconds), so every instance computes the same slot for the same moment."""
    now = as_utc(now)
    return now - (now - EPOCH) % timedelta(seconds=interval_s)


def seconds_to_next_slot(now: datetime, interval_s: float) -> float:
    return (slot_of(now, interval_s) + timedelta(seconds=interval_s) - as_utc(now)).total_seconds()
