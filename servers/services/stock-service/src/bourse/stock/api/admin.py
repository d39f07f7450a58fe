"""Admin: create instruments, halt and resume trading (role ``admin``). Each change is
announced as instrument.changed; ``Idempotency-Key`` makes a repeat return the first
answer."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.auth.deps import require_role
from bourse.auth.principal import Principal
from bourse.common.db import Database
from bourse.common.idempotency import Idempotency, StoredResponse, idempotency_of, once
from bourse.messaging.runtime import Db
from bourse.stock.api.deps import Symbol
from bourse.stock.api.schemas import Instrument, NewInstrumentRequest
from bourse.stock.handlers import http as handlers

router = APIRouter(prefix="/api/v1/stocks", tags=["admin"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "malformed JSON body"},
    401: {"description": "not authenticated"},
    403: {"description": "not an admin"},
    404: {"description": "unknown symbol"},
    409: {"description": "conflict"},
    422: {"description": "invalid input"},
}
Admin = Annotated[Principal, Depends(require_role("admin"))]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
Work = Callable[[AsyncSession], Awaitable[Any]]


@router.post("", status_code=201, response_model=Instrument, responses=PROBLEMS)
async def create_stock(
    body: NewInstrumentRequest, admin: Admin, db: Db, request: Request, key: IdempotencyKey = None
) -> JSONResponse:
    new = handlers.NewInstrument(**body.model_dump())
    idempotency = idempotency_of(request, key, body, 201, _json)
    return await _mutate(db, admin, idempotency, 201, lambda s: handlers.create_instrument(s, new))


@router.post("/{symbol}/halt", response_model=Instrument, responses=PROBLEMS)
async def halt_stock(
    symbol: Symbol, admin: Admin, db: Db, request: Request, key: IdempotencyKey = None
) -> JSONResponse:
    idempotency = idempotency_of(request, key, None, 200, _json)
    return await _mutate(
        db, admin, idempotency, 200, lambda s: handlers.set_status(s, symbol, "halted")
    )


@router.post("/{symbol}/resume", response_model=Instrument, responses=PROBLEMS)
async def resume_stock(
    symbol: Symbol, admin: Admin, db: Db, request: Request, key: IdempotencyKey = None
) -> JSONResponse:
    idempotency = idempotency_of(request, key, None, 200, _json)
    return await _mutate(
        db, admin, idempotency, 200, lambda s: handlers.set_status(s, symbol, "trading")
    )


def _json(row: Any) -> Any:
    return Instrument.of(row).model_dump(mode="json")


async def _mutate(
    db: Database, admin: Principal, idempotency: Idempotency[Any] | None, status: int, work: Work
) -> JSONResponse:
    """Run ``work`` in one transaction with the Idempotency-Key claim (if any)."""
    result = await db.run(lambda session: once(session, admin.user_id, idempotency, work))
    if isinstance(result, StoredResponse):
        return JSONResponse(result.body, result.status_code)
    return JSONResponse(_json(result), status)
