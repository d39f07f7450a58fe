"""Schedules alone (pure): frequencies at a local time in the user's zone, DST-correct;
cron expressions down to every minute; start and end bounds; validation codes."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bourse.auto.domain.errors import DomainError
from bourse.auto.domain.schedule import (
    Schedule,
    ScheduleRequest,
    build,
    first_slot,
    next_slot,
    parse_weekday,
)

NOW = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)  # Monday
NY = "America/New_York"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def slots(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    found = []
    for _ in range(count):
        after = next_slot(schedule, after)
        found.append(after)
    return found


def test_cron_every_minute() -> None:
    schedule = build(ScheduleRequest(cron="* * * * *"), NOW)
    assert slots(schedule, NOW, 3) == [
        utc(2026, 3, 2, 12, 1),
        utc(2026, 3, 2, 12, 2),
        utc(2026, 3, 2, 12, 3),
    ]


def test_cron_is_read_on_the_users_wall_clock() -> None:
    # 09:30 on weekdays in New York: 14:30 UTC in winter, 13:30 UTC after 8 March 2026.
    schedule = build(ScheduleRequest(cron="30 9 * * 1-5", timezone=NY), NOW)
    found = slots(schedule, utc(2026, 3, 5, 0, 0), 3)
    assert found == [utc(2026, 3, 5, 14, 30), utc(2026, 3, 6, 14, 30), utc(2026, 3, 9, 13, 30)]


def test_cron_every_minute_through_the_dst_gap_and_fold() -> None:
    schedule = build(ScheduleRequest(cron="* * * * *", timezone=NY), NOW)
    # Spring forward (2026-03-08 02:00 EST -> 03:00 EDT = 07:00 UTC): one run a minute.
    found = slots(schedule, utc(2026, 3, 8, 6, 58), 4)
    assert [b - a for a, b in itertools.pairwise(found)] == [timedelta(minutes=1)] * 3
    # Fall back (2026-11-01 02:00 EDT -> 01:00 EST): never backwards, never a duplicate.
    found = slots(schedule, utc(2026, 11, 1, 5, 0), 120)
    assert found == sorted(set(found))


def test_daily_at_a_local_time_across_dst() -> None:
    schedule = build(ScheduleRequest(frequency="daily", at="09:30", timezone=NY), NOW)
    found = slots(schedule, utc(2026, 3, 6, 15, 0), 3)
    assert found == [utc(2026, 3, 7, 14, 30), utc(2026, 3, 8, 13, 30), utc(2026, 3, 9, 13, 30)]


def test_a_local_time_in_the_dst_gap_runs_after_it_and_in_the_fold_once() -> None:
    gap = build(ScheduleRequest(frequency="daily", at="02:30", timezone=NY), NOW)
    # 2026-03-08 02:30 does not exist in New York: 03:30 EDT (07:30 UTC).
    assert next_slot(gap, utc(2026, 3, 8, 0, 0)) == utc(2026, 3, 8, 7, 30)
    fold = build(ScheduleRequest(frequency="daily", at="01:30", timezone=NY), NOW)
    # 2026-11-01 01:30 happens twice: the first one (EDT, 05:30 UTC), once.
    found = slots(fold, utc(2026, 10, 31, 12, 0), 2)
    assert found == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]


def test_weekly_and_biweekly() -> None:
    weekly = build(ScheduleRequest(frequency="weekly", day_of_week="fri", at="10:00"), NOW)
    assert slots(weekly, NOW, 2) == [utc(2026, 3, 6, 10), utc(2026, 3, 13, 10)]
    biweekly = build(ScheduleRequest(frequency="biweekly", day_of_week=3, at="10:00"), NOW)
    assert biweekly.public()["day_of_week"] == "wednesday"
    assert slots(biweekly, NOW, 3) == [
        utc(2026, 3, 4, 10),
        utc(2026, 3, 18, 10),
        utc(2026, 4, 1, 10),
    ]


def test_weekly_defaults_to_the_start_weekday_and_09_30() -> None:
    schedule = build(ScheduleRequest(frequency="weekly"), NOW)
    assert schedule.public() == {
        "cron": None,
        "frequency": "weekly",
        "at": "09:30",
        "day_of_week": "monday",
        "day_of_month": None,
        "timezone": "UTC",
    }
    assert next_slot(schedule, NOW) == utc(2026, 3, 9, 9, 30)  # today's 09:30 has passed


def test_monthly_on_a_day_of_month_in_a_zone() -> None:
    request = ScheduleRequest(
        frequency="monthly", day_of_month=28, at="18:00", timezone="Asia/Tokyo"
    )
    schedule = build(request, NOW)
    found = slots(schedule, NOW, 3)
    assert found == [utc(2026, 3, 28, 9), utc(2026, 4, 28, 9), utc(2026, 5, 28, 9)]


def test_start_and_end_bound_the_slots() -> None:
    schedule = build(ScheduleRequest(frequency="daily", at="10:00"), NOW)
    start, end = utc(2026, 3, 10, 10), utc(2026, 3, 11, 10)
    assert first_slot(schedule, NOW, start, end) == start  # inclusive start
    assert first_slot(schedule, start, start, end) == end  # inclusive end
    assert first_slot(schedule, end, start, end) is None


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (ScheduleRequest(), "invalid_schedule"),
        (ScheduleRequest(cron="* * * * *", frequency="daily"), "invalid_schedule"),
        (ScheduleRequest(cron="* * * * *", at="10:00"), "invalid_schedule"),
        (ScheduleRequest(frequency="hourly"), "invalid_schedule"),
        (ScheduleRequest(frequency="daily", at="24:00"), "invalid_schedule"),
        (ScheduleRequest(frequency="daily", at="9:30"), "invalid_schedule"),
        (ScheduleRequest(frequency="daily", day_of_week="mon"), "invalid_schedule"),
        (ScheduleRequest(frequency="weekly", day_of_week="someday"), "invalid_schedule"),
        (ScheduleRequest(frequency="weekly", day_of_week=0), "invalid_schedule"),
        (ScheduleRequest(frequency="weekly", day_of_month=3), "invalid_schedule"),
        (ScheduleRequest(frequency="monthly"), "invalid_schedule"),
        (ScheduleRequest(frequency="monthly", day_of_month=29), "invalid_schedule"),
        (ScheduleRequest(frequency="daily", timezone="Mars/Olympus"), "invalid_timezone"),
        (ScheduleRequest(frequency="daily", timezone="localtime"), "invalid_timezone"),
        (ScheduleRequest(frequency="daily", timezone="../etc/passwd"), "invalid_timezone"),
        (ScheduleRequest(cron="* * * *"), "invalid_cron"),
        (ScheduleRequest(cron="* * * * * *"), "invalid_cron"),
        (ScheduleRequest(cron="61 * * * *"), "invalid_cron"),
        (ScheduleRequest(cron="H * * * *"), "invalid_cron"),
        (ScheduleRequest(cron="R * * * *"), "invalid_cron"),
        (ScheduleRequest(cron="@daily"), "invalid_cron"),
    ],
)
def test_invalid_schedules(request_: ScheduleRequest, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        build(request_, NOW)
    assert refused.value.code == code


def test_a_cron_that_never_fires() -> None:
    schedule = build(ScheduleRequest(cron="0 0 31 2 *"), NOW)
    with pytest.raises(DomainError) as refused:
        next_slot(schedule, NOW)
    assert refused.value.code == "invalid_cron"


def test_weekday_names_and_numbers() -> None:
    assert [parse_weekday(v) for v in ("Monday", "tue", "SUN", 1, 7)] == [0, 1, 6, 0, 6]
    with pytest.raises(DomainError):
        parse_weekday(True)
