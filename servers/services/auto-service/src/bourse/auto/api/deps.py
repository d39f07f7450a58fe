"""Dependencies shared by the routers: the service clock, Idempotency-Key."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bourse.auto.clock import Clock
from bourse.auto.handlers.common import Idempotency, Row
from bourse.common.idempotency import StoredResponse, request_hash

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
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]


def idempotency(
    request: Request,
    key: str | None,
    body: BaseModel | None,
    status_code: int,
    render: Callable[[Row], Any],
) -> Idempotency | None:
    if key is None:
        return None
    payload = body.model_dump(mode="json", exclude_unset=True) if body is not None else None
    fingerprint = request_hash(request.method, request.url.path, payload)
    return Idempotency(key, fingerprint, status_code, render)


def replay(stored: StoredResponse) -> Response:
    """The first answer to a repeated Idempotency-Key."""
    headers = {"Idempotent-Replay": "true"}
    if stored.status_code == 204:
        return Response(status_code=204, headers=headers)
    return JSONResponse(stored.body, status_code=stored.status_code, headers=headers)
