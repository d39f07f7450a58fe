"""Times as requests carry them: ISO 8601, read as UTC instants within a sane range.

A time without a zone is UTC (API.md: times are UTC); one with an offset is converted.
Only instants from :data:`EARLIEST` to :data:`LATEST` (UTC) are accepted: beyond them
(year 1, year 9999 at -14:00) calendar arithmetic overflows, and nothing a trader schedules
is there. Refused with a 422 ``validation_error`` that names the range."""

from datetime import UTC, datetime
from typing import Annotated, Final

from pydantic import AfterValidator

EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(9000, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
RANGE: Final = "1970-01-01T00:00:00Z to 9000-12-31T23:59:59Z"


def as_utc(value: datetime) -> datetime:
    """``value`` as a UTC instant in the accepted range; ``ValueError`` otherwise."""
    try:
        instant = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        instant = None
    if instant is None or not EARLIEST <= instant <= LATEST:
        raise ValueError(f"must be a time from {RANGE} (after conversion to UTC)")
    return instant


UtcTime = Annotated[datetime, AfterValidator(as_utc)]
