"""Dependencies shared by the routers: the service clock, Idempotency-Key."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel

from bourse.auto.clock import Clock
from bourse.auto.handlers.common import Row
from bourse.common.idempotency import Idempotency, idempotency_of

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not authenticated"},
    404: {"description": "unknown or not yours"},
    409: {"description": "conflict (state, or an Idempotency-Key in progress)"},
    422: {"description": "invalid input (stable `code`: invalid_schedule, invalid_cron, ...)"},
}


async def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock()


Now = Annotated[datetime, Depends(_now)]


def idempotency(
    request: Request,
    key: str | None,
    body: BaseModel | None,
    status_code: int,
    render: Callable[[Row], Any],
) -> Idempotency[Row] | None:
    """The request's Idempotency-Key, fingerprinted by the fields its body sets."""
    return idempotency_of(request, key, body, status_code, render, exclude_unset=True)
