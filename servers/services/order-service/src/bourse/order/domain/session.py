"""The trading session's close: when day orders expire. Pure, no clock of its own."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SATURDAY = 5


def last_close(now: datetime, close: time, zone: ZoneInfo) -> date:
    """The trading date (a weekday, in ``zone``) of the latest session close at or before
    ``now``. Holidays are not modelled: a weekday is a session."""
    local = now.astimezone(zone)
    day = local.date() if local.time() >= close else local.date() - timedelta(days=1)
    while day.weekday() >= SATURDAY:
        day -= timedelta(days=1)
    return day
