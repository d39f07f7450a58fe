"""The market clock and calendar: /api/v1/clock, /api/v1/calendar (API.md, Market data).
Public; answered from the one market calendar (bourse.common.calendar, BOURSE_MARKET_*)."""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from bourse.common.calendar import MarketCalendar
from bourse.common.errors import Problem
from bourse.stock.api.schemas import Clock, SessionDay
from bourse.stock.config import Settings

router = APIRouter(prefix="/api/v1", tags=["calendar"])
MAX_DAYS = 3660  # ten years per request
DEFAULT_DAYS = 30
PROBLEMS: dict[int | str, dict[str, Any]] = {422: {"description": "invalid range"}}


def _calendar(request: Request) -> MarketCalendar:
    settings: Settings = request.app.state.settings
    return settings.calendar.calendar()


@router.get("/clock", response_model=Clock)
async def get_clock(request: Request) -> Clock:
    calendar, now = _calendar(request), datetime.now(UTC)
    return Clock(
        timestamp=now,
        is_open=calendar.is_open(now),
        next_open=calendar.next_open(now),
        next_close=calendar.next_close(now),
    )


@router.get("/calendar", response_model=list[SessionDay], responses=PROBLEMS)
async def get_calendar(
    request: Request,
    start: Annotated[date | None, Query(description="first day (default: today)")] = None,
    end: Annotated[
        date | None, Query(description="last day, inclusive (default: +30 days)")
    ] = None,
) -> list[SessionDay]:
    calendar = _calendar(request)
    first = start or calendar.local_date(datetime.now(UTC))
    last = end or first + timedelta(days=min(DEFAULT_DAYS, (date.max - first).days))
    if last < first:
        raise Problem(422, "invalid_range", "end is before start")
    if (last - first).days > MAX_DAYS:
        raise Problem(422, "invalid_range", f"at most {MAX_DAYS} days per request")
    return [
        SessionDay(date=s.date, open=s.open, close=s.close) for s in calendar.sessions(first, last)
    ]
