"""UTC everywhere: naive datetimes are taken as UTC."""

from datetime import UTC, datetime


def as_utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
