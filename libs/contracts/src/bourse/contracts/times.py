"""Times as requests carry them: ISO 8601, read as UTC instants within a sane range.

A time is an ISO 8601 string (a number is not: no guessing seconds or milliseconds since
1970). Without a zone it is UTC (API.md: times are UTC); with an offset it is converted.
Only instants from :data:`EARLIEST` to :data:`LATEST` (UTC) are accepted: beyond them
(year 1, year 9999 at -14:00) calendar arithmetic overflows, and nothing a trader schedules
is there. Refused with a 422 ``validation_error`` that names the range."""

from datetime import UTC, datetime
from typing import Annotated, Final

from pydantic import AfterValidator, BeforeValidator

EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(9000, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
RANGE: Final = "1970-01-01T00:00:00Z to 9000-12-31T23:59:59Z"


def _iso_text(value: object) -> object:
    if isinstance(value, str | datetime):
        return value
    raise ValueError('must be an ISO 8601 time, e.g. "2026-03-02T14:30:00Z"')


def as_utc(value: datetime) -> datetime:
    """``value`` as a UTC instant: a naive time is taken as UTC, an aware one converted."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_in_range(value: datetime) -> datetime:
    """``value`` as a UTC instant in the accepted range; ``ValueError`` otherwise."""
    try:
        instant: datetime | None = as_utc(value)
    except (OverflowError, ValueError):
        instant = None
    if instant is None or not EARLIEST <= instant <= LATEST:
        raise ValueError(f"must be a time from {RANGE} (after conversion to UTC)")
    return instant


UtcTime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(utc_in_range)]
