"""/api/v1/watchlists (API.md, Trading account): the caller's own lists of symbols;
another user's watchlist is a 404 on every route."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from bourse.auth.deps import CurrentUser
from bourse.common.body import json_body, openapi_body
from bourse.common.idempotency import IdempotencyKey, idempotency_of
from bourse.common.pagination import After, Limit, Page
from bourse.contracts.symbols import Symbol
from bourse.messaging.runtime import Db
from bourse.trader.api.schemas import (
    Watchlist,
    WatchlistRequest,
    WatchlistSymbolRequest,
    WatchlistUpdate,
)
from bourse.trader.handlers import http

router = APIRouter(prefix="/api/v1/watchlists", tags=["watchlists"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not authenticated"},
    404: {"description": "no such watchlist of yours (not_found), or symbol_not_in_watchlist"},
    409: {"description": "watchlist_name_taken, or a request with this key is in progress"},
    422: {
        "description": "invalid input (invalid_watchlist_name, duplicate_symbol, "
        "too_many_symbols, too_many_watchlists, unknown_symbol, validation_error)"
    },
}

CreateBody = Annotated[WatchlistRequest, Depends(json_body(WatchlistRequest))]
UpdateBody = Annotated[WatchlistUpdate, Depends(json_body(WatchlistUpdate))]
SymbolBody = Annotated[WatchlistSymbolRequest, Depends(json_body(WatchlistSymbolRequest))]


def _out(watchlist: http.Watchlist) -> Watchlist:
    return Watchlist.model_validate(watchlist, from_attributes=True)


@router.get("", response_model=Page[Watchlist], responses=PROBLEMS)
async def list_watchlists(
    user: CurrentUser, db: Db, limit: Limit = 50, after: After = None
) -> Page[Watchlist]:
    page = await http.list_watchlists(db, user.user_id, limit, after)
    return Page[Watchlist](items=[_out(w) for w in page.items], next=page.next)


@router.post(
    "",
    status_code=201,
    response_model=Watchlist,
    responses=PROBLEMS,
    openapi_extra=openapi_body(WatchlistRequest),
)
async def create_watchlist(
    user: CurrentUser, db: Db, body: CreateBody, request: Request, key: IdempotencyKey = None
) -> Watchlist:
    done = await http.create_watchlist(
        db, user.user_id, body.name, body.symbols, idempotency_of(request, key, body, 201)
    )
    return _out(done)


@router.get("/{watchlist_id}", response_model=Watchlist, responses=PROBLEMS)
async def get_watchlist(user: CurrentUser, db: Db, watchlist_id: UUID) -> Watchlist:
    return _out(await http.get_watchlist(db, user.user_id, watchlist_id))


@router.put(
    "/{watchlist_id}",
    response_model=Watchlist,
    responses=PROBLEMS,
    openapi_extra=openapi_body(WatchlistUpdate),
)
async def update_watchlist(
    user: CurrentUser,
    db: Db,
    watchlist_id: UUID,
    body: UpdateBody,
    request: Request,
    key: IdempotencyKey = None,
) -> Watchlist:
    done = await http.update_watchlist(
        db,
        user.user_id,
        watchlist_id,
        body.name,
        body.symbols,
        idempotency_of(request, key, body, 200),
    )
    return _out(done)


@router.delete("/{watchlist_id}", status_code=204, response_class=Response, responses=PROBLEMS)
async def delete_watchlist(
    user: CurrentUser, db: Db, watchlist_id: UUID, request: Request, key: IdempotencyKey = None
) -> Response:
    await http.delete_watchlist(
        db, user.user_id, watchlist_id, idempotency_of(request, key, None, 204)
    )
    return Response(status_code=204)


@router.post(
    "/{watchlist_id}/symbols",
    response_model=Watchlist,
    responses=PROBLEMS,
    openapi_extra=openapi_body(WatchlistSymbolRequest),
)
async def add_symbol(
    user: CurrentUser,
    db: Db,
    watchlist_id: UUID,
    body: SymbolBody,
    request: Request,
    key: IdempotencyKey = None,
) -> Watchlist:
    """Append a symbol; one already in the list leaves it unchanged (200 with the list)."""
    done = await http.add_watchlist_symbol(
        db, user.user_id, watchlist_id, body.symbol, idempotency_of(request, key, body, 200)
    )
    return _out(done)


@router.delete("/{watchlist_id}/symbols/{symbol}", response_model=Watchlist, responses=PROBLEMS)
async def remove_symbol(
    user: CurrentUser,
    db: Db,
    watchlist_id: UUID,
    symbol: Symbol,
    request: Request,
    key: IdempotencyKey = None,
) -> Watchlist:
    done = await http.remove_watchlist_symbol(
        db, user.user_id, watchlist_id, symbol, idempotency_of(request, key, None, 200)
    )
    return _out(done)
