"""The market calendar: when the exchange's regular session is open. The one source of
truth for the public clock and calendar (stock-service), day-order expiry at the close
(order-service) and recurring runs (auto-service).

A session is a trading day's [open, close) in the calendar's time zone; a trading day is
one of ``trading_days`` (Monday to Friday by default) that is not a holiday. Pure: every
function takes the instant it reasons about; :class:`CalendarSettings` reads the one
configuration (``BOURSE_MARKET_*``) that every service shares.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Self
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MONDAY_TO_FRIDAY = frozenset(range(5))  # date.weekday(): Monday is 0
# No real calendar closes for longer; a search that finds no session within it stops.
MAX_CLOSED_DAYS = 366


@dataclass(frozen=True)
class Session:
    date: date
    open: datetime  # UTC
    close: datetime  # UTC


@dataclass(frozen=True)
class MarketCalendar:
    timezone: str = "America/New_York"
    open: time = time(9, 30)
    close: time = time(16, 0)
    trading_days: frozenset[int] = MONDAY_TO_FRIDAY
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not self.trading_days or not self.trading_days <= set(range(7)):
            raise ValueError("trading_days: a non-empty set of weekdays 0 (Monday) to 6")
        if self.open >= self.close:
            raise ValueError("the session must open before it closes (same day)")
        ZoneInfo(self.timezone)  # an unknown zone fails here, not at the first question

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_trading_day(self, day: date) -> bool:
        return day.weekday() in self.trading_days and day not in self.holidays

    def session(self, day: date) -> Session | None:
        """``day``'s session, or None when the market does not open that day."""
        if not self.is_trading_day(day):
            return None
        return Session(day, self._instant(day, self.open), self._instant(day, self.close))

    def sessions(self, start: date, end: date) -> list[Session]:
        """The sessions of the days from ``start`` to ``end`` inclusive."""
        days = (start + timedelta(days=n) for n in range((end - start).days + 1))
        return [s for day in days if (s := self.session(day)) is not None]

    def is_open(self, at: datetime) -> bool:
        current = self.session(self.local_date(at))
        return current is not None and current.open <= at < current.close

    def next_open(self, at: datetime) -> datetime:
        """The first session open strictly after ``at``."""
        return next(s.open for s in self._sessions_from(self.local_date(at)) if s.open > at)

    def next_close(self, at: datetime) -> datetime:
        """The first session close strictly after ``at``."""
        return next(s.close for s in self._sessions_from(self.local_date(at)) if s.close > at)

    def last_close(self, at: datetime) -> date:
        """The trading date of the latest session close at or before ``at``."""
        day = self.local_date(at)
        for _ in range(MAX_CLOSED_DAYS + 1):
            found = self.session(day)
            if found is not None and found.close <= at:
                return day
            day -= timedelta(days=1)
        raise ValueError(f"no session closed in the {MAX_CLOSED_DAYS} days before {at}")

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def _instant(self, day: date, clock: time) -> datetime:
        # fold=0: a wall-clock time that exists twice is its first occurrence
        return datetime.combine(day, clock, tzinfo=self.zone).astimezone(UTC)

    def _sessions_from(self, day: date) -> Iterator[Session]:
        for offset in range(MAX_CLOSED_DAYS + 2):
            found = self.session(day + timedelta(days=offset))
            if found is not None:
                yield found
        raise ValueError(f"no session in the {MAX_CLOSED_DAYS} days after {day}")


class CalendarSettings(BaseSettings):
    """``BOURSE_MARKET_TIMEZONE``, ``_OPEN`` ("09:30"), ``_CLOSE``, ``_TRADING_DAYS`` (JSON
    list of weekdays, 0 = Monday) and ``_HOLIDAYS`` (JSON list of dates): every service
    reads the same variables, so there is one calendar."""

    model_config = SettingsConfigDict(env_prefix="BOURSE_MARKET_", extra="ignore")

    timezone: str = "America/New_York"
    open: time = time(9, 30)
    close: time = time(16, 0)
    trading_days: list[int] = Field(default_factory=lambda: sorted(MONDAY_TO_FRIDAY))
    holidays: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _valid(self) -> Self:
        self.calendar()  # the calendar's own checks, at start-up
        return self

    def calendar(self) -> MarketCalendar:
        return MarketCalendar(
            timezone=self.timezone,
            open=self.open,
            close=self.close,
            trading_days=frozenset(self.trading_days),
            holidays=frozenset(self.holidays),
        )
