"""The market calendar: sessions, the clock's next open / close, the latest close."""

from datetime import UTC, date, datetime, time

import pytest

from bourse.common.calendar import CalendarSettings, MarketCalendar

NYSE = MarketCalendar(holidays=frozenset({date(2026, 11, 26)}))  # Thanksgiving, a Thursday


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "closed"),
    [
        (utc(2026, 11, 18, 21, 0), date(2026, 11, 18)),  # Wed 16:00 EST
        (utc(2026, 11, 18, 20, 59), date(2026, 11, 17)),  # Wed 15:59
        (utc(2026, 11, 23, 14, 30), date(2026, 11, 20)),  # Mon morning
        (utc(2026, 11, 21, 12, 0), date(2026, 11, 20)),  # Saturday
        (utc(2026, 11, 22, 23, 0), date(2026, 11, 20)),  # Sunday evening
        (utc(2026, 7, 15, 20, 0), date(2026, 7, 15)),  # 16:00 EDT (summer)
        (utc(2026, 7, 15, 19, 59), date(2026, 7, 14)),
        (utc(2026, 11, 19, 2, 0), date(2026, 11, 18)),  # Wed 21:00 local
        (utc(2026, 11, 27, 12, 0), date(2026, 11, 25)),  # the day after the holiday
    ],
)
def test_the_latest_close(now: datetime, closed: date) -> None:
    assert NYSE.last_close(now) == closed


def test_open_only_inside_a_session_on_a_trading_day() -> None:
    assert NYSE.is_open(utc(2026, 11, 18, 14, 30))  # 09:30 EST: the open is inside
    assert not NYSE.is_open(utc(2026, 11, 18, 14, 29))
    assert not NYSE.is_open(utc(2026, 11, 18, 21, 0))  # 16:00: the close is outside
    assert NYSE.is_open(utc(2026, 7, 15, 13, 30))  # 09:30 EDT
    assert not NYSE.is_open(utc(2026, 11, 21, 16, 0))  # Saturday
    assert not NYSE.is_open(utc(2026, 11, 26, 16, 0))  # the holiday


def test_next_open_and_close_skip_weekends_and_holidays() -> None:
    wednesday_evening = utc(2026, 11, 25, 22, 0)
    assert NYSE.next_open(wednesday_evening) == utc(2026, 11, 27, 14, 30)  # Friday
    assert NYSE.next_close(wednesday_evening) == utc(2026, 11, 27, 21, 0)
    during = utc(2026, 11, 27, 15, 0)
    assert NYSE.next_open(during) == utc(2026, 11, 30, 14, 30)  # Monday
    assert NYSE.next_close(during) == utc(2026, 11, 27, 21, 0)


def test_sessions_of_a_range() -> None:
    sessions = NYSE.sessions(date(2026, 11, 23), date(2026, 11, 29))
    assert [s.date for s in sessions] == [
        date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 27),
    ]  # fmt: skip
    assert sessions[0].open == utc(2026, 11, 23, 14, 30)
    assert sessions[0].close == utc(2026, 11, 23, 21, 0)


def test_a_calendar_open_every_day() -> None:
    always = MarketCalendar(timezone="UTC", trading_days=frozenset(range(7)))
    assert always.is_open(utc(2026, 11, 22, 12, 0))  # a Sunday
    assert always.last_close(utc(2026, 11, 22, 12, 0)) == date(2026, 11, 21)


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOURSE_MARKET_TIMEZONE", "Europe/Paris")
    monkeypatch.setenv("BOURSE_MARKET_OPEN", "09:00")
    monkeypatch.setenv("BOURSE_MARKET_CLOSE", "17:30")
    monkeypatch.setenv("BOURSE_MARKET_HOLIDAYS", '["2026-12-25"]')
    calendar = CalendarSettings().calendar()
    assert (calendar.timezone, calendar.open, calendar.close) == (
        "Europe/Paris", time(9), time(17, 30),
    )  # fmt: skip
    assert calendar.session(date(2026, 12, 25)) is None
    assert calendar.trading_days == frozenset(range(5))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"trading_days": frozenset()},
        {"open": time(16), "close": time(9, 30)},
        {"timezone": "Mars/Olympus"},
    ],
)
def test_a_calendar_that_cannot_be_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(Exception):  # noqa: B017 - ValueError or ZoneInfoNotFoundError
        MarketCalendar(**kwargs)  # type: ignore[arg-type]
