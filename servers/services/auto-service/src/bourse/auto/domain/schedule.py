"""When a recurring order runs: a cron expression, or a frequency (daily, weekly,
biweekly = every 14 days, monthly on day 1-28) at a wall-clock time, both in the user's
time zone; bounded by a start and an optional end.

Slots are instants (UTC). :func:`first_slot` gives the first one strictly after a moment
and inside the bounds, or None when the schedule is over.
"""

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, cast, get_args

from bourse.auto.domain.cron import check_cron, cron_after
from bourse.auto.domain.errors import DomainError
from bourse.auto.domain.localtime import at_local, local_naive, zone

Frequency = Literal["daily", "weekly", "biweekly", "monthly"]
FREQUENCIES: tuple[str, ...] = get_args(Frequency)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_AT = time(9, 30)
MAX_DAY_OF_MONTH = 28
_AT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_EPSILON = timedelta(microseconds=1)


@dataclass(frozen=True)
class Schedule:
    """A valid schedule. ``day_of_week`` is 0 (Monday) to 6; ``anchor`` is the local date
    of a biweekly schedule's first run (its runs are 14 days apart from there)."""

    timezone: str = "UTC"
    cron: str | None = None
    frequency: Frequency | None = None
    at: time | None = None
    day_of_week: int | None = None
    day_of_month: int | None = None
    anchor: date | None = None

    def public(self) -> dict[str, Any]:
        """The schedule as the API shows it (and stores it)."""
        return {
            "cron": self.cron,
            "frequency": self.frequency,
            "at": self.at.strftime("%H:%M") if self.at else None,
            "day_of_week": WEEKDAYS[self.day_of_week] if self.day_of_week is not None else None,
            "day_of_month": self.day_of_month,
            "timezone": self.timezone,
        }

    @classmethod
    def stored(cls, data: dict[str, Any], anchor: date | None) -> "Schedule":
        """Back from :meth:`public` (already validated)."""
        at = data.get("at")
        day = data.get("day_of_week")
        return cls(
            timezone=data["timezone"],
            cron=data.get("cron"),
            frequency=data.get("frequency"),
            at=time.fromisoformat(at) if at else None,
            day_of_week=WEEKDAYS.index(day) if day else None,
            day_of_month=data.get("day_of_month"),
            anchor=anchor,
        )


@dataclass(frozen=True)
class ScheduleRequest:
    """A schedule as a client sends it (every field optional)."""

    cron: str | None = None
    frequency: str | None = None
    at: str | None = None
    day_of_week: str | int | None = None
    day_of_month: int | None = None
    timezone: str | None = None


def _invalid(detail: str) -> DomainError:
    return DomainError("invalid_schedule", detail)


def parse_at(value: str) -> time:
    match = _AT.match(value)
    if match is None:
        raise _invalid(f"at must be HH:MM (00:00 to 23:59), not {value!r}")
    return time(int(match[1]), int(match[2]))


def parse_weekday(value: str | int) -> int:
    """A weekday from its name ("monday", "mon") or its ISO number (1 = Monday, 7 = Sunday)."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 7:
        return value - 1
    if isinstance(value, str):
        name = value.strip().lower()
        for index, day in enumerate(WEEKDAYS):
            if name in (day, day[:3]):
                return index
    raise _invalid(f"day_of_week must be a weekday name or 1-7 (Monday = 1), not {value!r}")


def build(request: ScheduleRequest, reference: datetime) -> Schedule:
    """Validate ``request``. Missing parts default from ``reference`` (when the schedule
    starts): the weekday for weekly ones; a missing ``at`` is 09:30 (an empty one is a
    422 ``invalid_schedule``, like any other malformed time)."""
    tz_name = request.timezone if request.timezone is not None else "UTC"  # "" is refused
    zone(tz_name)
    if (request.cron is None) == (request.frequency is None):
        raise _invalid("give exactly one of cron and frequency")
    if request.cron is not None:
        return _cron_schedule(request, tz_name)
    return _frequency_schedule(request, tz_name, reference)


def _cron_schedule(request: ScheduleRequest, tz_name: str) -> Schedule:
    assert request.cron is not None
    given = (request.at, request.day_of_week, request.day_of_month)
    if any(part is not None for part in given):
        raise _invalid("a cron schedule takes no at, day_of_week or day_of_month")
    return Schedule(timezone=tz_name, cron=check_cron(request.cron))


def _frequency_schedule(request: ScheduleRequest, tz_name: str, reference: datetime) -> Schedule:
    if request.frequency not in FREQUENCIES:
        raise _invalid(f"frequency must be one of {', '.join(FREQUENCIES)}")
    frequency = cast(Frequency, request.frequency)
    weekly = frequency in ("weekly", "biweekly")
    if request.day_of_week is not None and not weekly:
        raise _invalid("day_of_week goes with weekly and biweekly schedules only")
    if request.day_of_month is not None and frequency != "monthly":
        raise _invalid("day_of_month goes with monthly schedules only")
    local_day = local_naive(reference, zone(tz_name)).date()
    schedule = Schedule(
        timezone=tz_name,
        frequency=frequency,
        at=parse_at(request.at) if request.at is not None else DEFAULT_AT,  # "" is refused
        day_of_week=_weekday(request, local_day) if weekly else None,
        day_of_month=_day_of_month(request) if frequency == "monthly" else None,
    )
    if frequency == "biweekly":  # anchored on the first weekly slot from the reference
        first = replace(schedule, frequency="weekly")
        anchor = local_naive(next_slot(first, reference - _EPSILON), zone(tz_name)).date()
        schedule = replace(schedule, anchor=anchor)
    return schedule


def _weekday(request: ScheduleRequest, local_day: date) -> int:
    if request.day_of_week is None:
        return local_day.weekday()
    return parse_weekday(request.day_of_week)


def _day_of_month(request: ScheduleRequest) -> int:
    day = request.day_of_month
    if day is None:
        raise _invalid("a monthly schedule needs day_of_month (1-28)")
    if isinstance(day, bool) or not 1 <= day <= MAX_DAY_OF_MONTH:
        raise _invalid("day_of_month must be between 1 and 28")
    return day


def _matches(schedule: Schedule, day: date) -> bool:
    match schedule.frequency:
        case "daily":
            return True
        case "weekly":
            return day.weekday() == schedule.day_of_week
        case "biweekly":
            assert schedule.anchor is not None
            weekday_ok = day.weekday() == schedule.day_of_week
            return weekday_ok and (day - schedule.anchor).days % 14 == 0
        case _:
            return day.day == schedule.day_of_month


def next_slot(schedule: Schedule, after: datetime) -> datetime:
    """The first slot strictly after ``after``."""
    tz = zone(schedule.timezone)
    if schedule.cron is not None:
        return cron_after(schedule.cron, tz, after)
    assert schedule.at is not None
    day = local_naive(after, tz).date() - timedelta(days=1)  # DST can move a slot a day
    while True:
        if _matches(schedule, day):
            slot = at_local(day, schedule.at, tz)
            if slot > after:
                return slot
        day += timedelta(days=1)


def first_slot(
    schedule: Schedule, after: datetime, start: datetime, end: datetime | None
) -> datetime | None:
    """The first slot strictly after ``after``, at or after ``start`` and at or before
    ``end``; None when there is none (the schedule is over)."""
    slot = next_slot(schedule, max(after, start - _EPSILON))
    if end is not None and slot > end:
        return None
    return slot
