"""A recurring order: what it buys or sells, on which schedule, between which dates;
and how its next run is found."""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from bourse.auto.domain.errors import DomainError
from bourse.auto.domain.orders import OrderSpec, Side, check_order
from bourse.auto.domain.schedule import Schedule, ScheduleRequest, build, first_slot


@dataclass(frozen=True)
class Recurring:
    symbol: str
    order: OrderSpec  # a market order, time in force day
    schedule: Schedule
    start_at: datetime
    end_at: datetime | None


@dataclass(frozen=True)
class Draft:
    """A recurring order as a client asks for it (not validated yet)."""

    symbol: str
    order: OrderSpec
    schedule: ScheduleRequest
    start_at: datetime | None = None
    end_at: datetime | None = None


@dataclass(frozen=True)
class Changes:
    """A PATCH: only the fields in ``given`` change (a given None clears end_at)."""

    given: frozenset[str]
    symbol: str | None = None
    side: Side | None = None
    qty: Decimal | None = None
    notional: Decimal | None = None
    schedule: ScheduleRequest | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None


def new(draft: Draft, now: datetime) -> tuple[Recurring, datetime]:
    """A valid recurring order and its first run; 422 when it is invalid or never runs."""
    start = draft.start_at or now
    _check_bounds(start, draft.end_at, now)
    order = check_order(draft.order)
    schedule = _schedule(draft.schedule, start, now)
    recurring = Recurring(draft.symbol, order, schedule, start, draft.end_at)
    return recurring, next_run(recurring, now)


def changed(current: Recurring, changes: Changes, now: datetime) -> tuple[Recurring, datetime]:
    """``current`` with ``changes`` applied, and its next run from ``now`` on."""
    given = changes.given
    order = current.order
    if given & {"qty", "notional"}:
        order = replace(order, qty=changes.qty, notional=changes.notional)
    if "side" in given and changes.side is not None:
        order = replace(order, side=changes.side)
    start = current.start_at
    if "start_at" in given and changes.start_at is not None:
        start = changes.start_at
    end = changes.end_at if "end_at" in given else current.end_at
    _check_bounds(start, end, now)
    schedule = current.schedule
    if changes.schedule is not None:
        schedule = _schedule(changes.schedule, start, now)
    symbol = changes.symbol if changes.symbol is not None else current.symbol
    recurring = Recurring(symbol, check_order(order), schedule, start, end)
    return recurring, next_run(recurring, now)


def next_run(recurring: Recurring, after: datetime) -> datetime:
    """The first run strictly after ``after``; 422 ``schedule_never_runs`` when none."""
    slot = first_slot(recurring.schedule, after, recurring.start_at, recurring.end_at)
    if slot is None:
        raise DomainError("schedule_never_runs", "the schedule has no run before end_at")
    return slot


def _schedule(request: ScheduleRequest, start: datetime, now: datetime) -> Schedule:
    return build(request, max(start, now))


def _check_bounds(start: datetime, end: datetime | None, now: datetime) -> None:
    if end is None:
        return
    if end <= start:
        raise DomainError("invalid_time_range", "end_at must be after start_at")
    if end <= now:
        raise DomainError("invalid_time_range", "end_at is in the past")


def stored(row: Any) -> Recurring:
    """A recurring order back from its row."""
    order = OrderSpec(side=row.side, qty=row.qty, notional=row.notional)
    schedule = Schedule.stored(row.schedule, row.anchor_date)
    return Recurring(row.symbol, order, schedule, row.start_at, row.end_at)
