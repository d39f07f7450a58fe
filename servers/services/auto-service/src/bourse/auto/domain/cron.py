"""Cron expressions (five fields, minute resolution: at most one run a minute), evaluated
on the user's wall clock by croniter and turned into UTC instants."""

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from croniter import CroniterError, croniter  # type: ignore[import-untyped]

from bourse.auto.domain.errors import DomainError
from bourse.auto.domain.localtime import local_naive, to_utc

FIELDS = 5
MAX_LENGTH = 100
# Hashed (H) and random (R) fields are croniter extensions whose slots are not fixed.
_NOT_FIXED = re.compile(r"^[HR](\(.*\))?(/\d+)?$", re.IGNORECASE)
_ALLOWED = re.compile(r"^[0-9A-Za-z*/,\-#?]+$")


def _invalid(expression: str, why: str) -> DomainError:
    return DomainError("invalid_cron", f"invalid cron expression {expression!r}: {why}")


def check_cron(expression: str) -> str:
    """The expression, normalized (single spaces); 422 ``invalid_cron`` otherwise."""
    fields = expression.split()
    if len(expression) > MAX_LENGTH or len(fields) != FIELDS:
        raise _invalid(expression, "expected 5 fields: minute hour day-of-month month weekday")
    for field in fields:
        items = field.split(",")
        if not _ALLOWED.match(field) or any(_NOT_FIXED.match(item) for item in items):
            raise _invalid(expression, f"unsupported field {field!r}")
    normalized = " ".join(fields)
    if not croniter.is_valid(normalized):
        raise _invalid(expression, "not a valid expression")
    return normalized


def _wall_times(expression: str, start: datetime) -> Iterator[datetime]:
    it: Any = croniter(expression, start)
    while True:
        value: datetime = it.get_next(datetime)
        yield value


def cron_after(expression: str, tz: ZoneInfo, after: datetime) -> datetime:
    """The first instant strictly after ``after`` whose wall-clock time in ``tz`` matches.
    Around DST a wall-clock time mapping to an instant not after ``after`` is skipped, so
    instants only move forward. 422 ``invalid_cron`` for an expression that never fires."""
    try:
        for wall in _wall_times(expression, local_naive(after, tz)):
            instant = to_utc(wall, tz)
            if instant > after:
                return instant
    except CroniterError as exc:
        raise _invalid(expression, "it never fires") from exc
    raise AssertionError("unreachable")  # pragma: no cover
