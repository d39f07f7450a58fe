"""Wall-clock times in a user's time zone (zoneinfo), DST-correct.

A local time that does not exist (the spring-forward gap) is shifted forward by the gap
(02:30 becomes 03:30); one that exists twice (the fall-back fold) is its first occurrence.
Both follow from PEP 495's ``fold=0``: the offset from before the transition.
"""

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from bourse.auto.domain.errors import DomainError

_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})  # files, not real zones


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` ("Europe/Paris", "UTC"); 422 ``invalid_timezone``."""
    if name not in _zone_names():
        raise DomainError("invalid_timezone", f"unknown time zone {name!r}")
    return ZoneInfo(name)


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """The instant of the naive wall-clock time ``local`` in ``tz``."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def at_local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return to_utc(datetime.combine(day, clock), tz)


def local_naive(instant: datetime, tz: ZoneInfo) -> datetime:
    """The wall-clock time of ``instant`` in ``tz``, without its zone."""
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)
