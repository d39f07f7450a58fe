"""When the session closes: the market calendar's latest close (bourse.common.calendar,
tested there), as order-service's settings give it."""

from datetime import UTC, date, datetime

import pytest

from bourse.order.config import Settings


def test_day_orders_expire_at_the_calendars_close(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOURSE_MARKET_HOLIDAYS", '["2026-11-26"]')
    calendar = Settings().calendar.calendar()
    assert calendar.last_close(datetime(2026, 11, 18, 21, 0, tzinfo=UTC)) == date(2026, 11, 18)
    assert calendar.last_close(datetime(2026, 11, 27, 12, 0, tzinfo=UTC)) == date(2026, 11, 25)


def test_the_default_is_new_york_weekdays_at_four() -> None:
    calendar = Settings().calendar.calendar()
    assert calendar.last_close(datetime(2026, 11, 18, 20, 59, tzinfo=UTC)) == date(2026, 11, 17)
    assert calendar.last_close(datetime(2026, 11, 22, 23, 0, tzinfo=UTC)) == date(2026, 11, 20)
