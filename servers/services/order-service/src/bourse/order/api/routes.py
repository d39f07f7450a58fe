"""/api/v1/orders and /api/v1/fills (API.md, Orders). Every query is scoped to the
token's user: another user's order is a 404, exactly like a missing one."""

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import ValidationError

from bourse.auth.deps import CurrentUser
from bourse.auth.principal import Principal
from bourse.common.body import json_body, openapi_body
from bourse.common.db import Database
from bourse.common.errors import Problem, validation_problem
from bourse.common.idempotency import (
    Idempotency,
    IdempotencyKey,
    StoredResponse,
    idempotency_of,
    replay,
)
from bourse.common.pagination import After, Limit, cursor_id, page_of
from bourse.contracts.symbols import Symbol
from bourse.messaging.runtime import Db
from bourse.order import replace
from bourse.order.api.schemas import (
    ErrorResult,
    FillOut,
    FillPage,
    Order,
    OrderBatch,
    OrderBatchResult,
    OrderCreate,
    OrderPage,
    OrderReplace,
    OrderResult,
)
from bourse.order.config import Settings
from bourse.order.domain.lifecycle import avg_price
from bourse.order.domain.order_classes import Exits
from bourse.order.domain.placement import OrderRequest
from bourse.order.entry import NewOrder, OrderEntry
from bourse.order.handlers import classed
from bourse.order.handlers import http as handlers
from bourse.order.handlers.http import Placed, Shown

router = APIRouter(prefix="/api/v1", tags=["orders"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not authenticated"},
    404: {"description": "unknown or not yours"},
    422: {"description": "invalid order"},
}


async def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Config = Annotated[Settings, Depends(settings_of)]
# Bodies parsed with exact decimals: a JSON number never goes through a float.
parse_create_body = json_body(OrderCreate)
CreateBody = Annotated[OrderCreate, Depends(parse_create_body)]
ReplaceBody = Annotated[OrderReplace, Depends(json_body(OrderReplace))]
BatchBody = Annotated[OrderBatch, Depends(json_body(OrderBatch))]


def to_order(row: Any, legs: Sequence[Any] | None = None) -> Order:
    """The order object; a classed order (not a leg) lists its ``legs``."""
    classed = row.order_class != "simple" and row.parent_id is None
    return Order(
        id=row.id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=row.side,
        type=row.type,
        time_in_force=row.time_in_force,
        qty=row.qty,
        notional=row.notional,
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        filled_qty=row.filled_qty,
        filled_avg_price=avg_price(row.filled_qty, row.filled_notional),
        status=row.status,
        reject_reason=row.reject_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
        filled_at=row.filled_at,
        canceled_at=row.canceled_at,
        replaces=row.replaces,
        replaced_by=row.replaced_by,
        trail_price=row.trail_price,
        trail_percent=row.trail_percent,
        hwm=row.hwm,
        order_class=row.order_class,
        legs=[to_order(leg) for leg in legs or ()] if classed else None,
    )


def to_fill(row: Any) -> FillOut:
    return FillOut(
        id=row.id,
        order_id=row.order_id,
        symbol=row.symbol,
        side=row.side,
        qty=row.qty,
        price=row.price,
        liquidity=row.liquidity,
        fee=row.fee,
        created_at=row.created_at,
    )


@router.post(
    "/orders",
    status_code=202,
    response_model=Order,
    responses=PROBLEMS,
    openapi_extra=openapi_body(OrderCreate),
)
async def place_order(
    body: CreateBody,
    user: CurrentUser,
    db: Db,
    settings: Config,
    response: Response,
    http_request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Order | Response:
    request = _order_request(body)
    if body.order_class != "simple" or body.take_profit or body.stop_loss:
        idempotency = idempotency_of(http_request, idempotency_key, body, 202, _remembered)
        return await _place_classed(body, request, user, db, settings, response, idempotency)
    if idempotency_key is None:  # committed with the orders placed at the same moment
        (outcome,) = await entry_of(http_request).place(
            [NewOrder(user.user_id, request, body.client_order_id)]
        )
        if isinstance(outcome, Problem):
            raise outcome
        row, created = outcome
    else:
        idempotency = idempotency_of(http_request, idempotency_key, body, 202, _remembered)
        result = await handlers.place_order(
            db, settings, user.user_id, request, body.client_order_id, idempotency
        )
        if isinstance(result, StoredResponse):  # the same key and body: the first answer
            return replay(result)
        row, created = result
    if not created:
        response.headers["Idempotent-Replay"] = "true"
    return to_order(row)


@router.post(
    "/orders/batch",
    response_model=OrderBatchResult,
    responses=PROBLEMS,
    openapi_extra=openapi_body(OrderBatch),
)
async def place_orders(
    body: BatchBody, user: CurrentUser, db: Db, settings: Config, http_request: Request
) -> OrderBatchResult:
    """1 to 100 orders, each validated, placed and deduplicated (client_order_id) on its
    own, exactly as if POSTed alone, and committed together; one result per order."""
    results: list[OrderResult | ErrorResult] = []
    valid: list[tuple[int, NewOrder]] = []
    for index, raw in enumerate(body.orders):
        try:
            one = OrderCreate.model_validate(raw)
        except ValidationError as exc:
            results.append(ErrorResult(error=validation_problem(exc.errors()).body()))
            continue
        if one.order_class != "simple" or one.take_profit or one.stop_loss:
            results.append(await _classed_result(one, user, db, settings))
            continue
        results.append(ErrorResult(error={}))  # replaced below
        valid.append((index, NewOrder(user.user_id, _order_request(one), one.client_order_id)))
    outcomes = await entry_of(http_request).place([order for _, order in valid])
    for (index, _), outcome in zip(valid, outcomes, strict=True):
        if isinstance(outcome, Problem):
            results[index] = ErrorResult(error=outcome.body())
        else:
            results[index] = OrderResult(order=to_order(outcome[0]))
    return OrderBatchResult(results=results)


async def _place_classed(
    body: OrderCreate,
    request: OrderRequest,
    user: Principal,
    db: Database,
    settings: Settings,
    response: Response,
    idempotency: Idempotency[Placed] | None,
) -> Order | Response:
    result = await classed.place_classed(
        db, settings, user.user_id, request, body.client_order_id, body.order_class,
        _exits(body), idempotency,
    )  # fmt: skip
    if isinstance(result, StoredResponse):
        return replay(result)
    row, created = result
    if not created:
        response.headers["Idempotent-Replay"] = "true"
    return await with_legs(db, row)


def _remembered(placed: Placed) -> dict[str, Any]:
    """The answer an Idempotency-Key's repeat gets: the order (without its legs)."""
    return to_order(placed[0]).model_dump(mode="json")


def _exits(body: OrderCreate) -> Exits:
    return Exits(
        body.take_profit.limit_price if body.take_profit else None,
        body.stop_loss.stop_price if body.stop_loss else None,
        body.stop_loss.limit_price if body.stop_loss else None,
    )


async def with_legs(db: Database, row: Any) -> Order:
    return (await many_with_legs(db, [row]))[0]


async def many_with_legs(db: Database, rows: Sequence[Any]) -> list[Order]:
    parents = [r.id for r in rows if r.order_class != "simple" and r.parent_id is None]
    found = await handlers.legs_of(db, parents) if parents else {}
    return [to_order(row, found.get(row.id, [])) for row in rows]


def entry_of(request: Request) -> OrderEntry:
    entry: OrderEntry = request.app.state.entry
    return entry


async def _classed_result(
    body: OrderCreate, user: Principal, db: Database, settings: Settings
) -> OrderResult | ErrorResult:
    try:
        placed = await classed.place_classed(
            db, settings, user.user_id, _order_request(body), body.client_order_id,
            body.order_class, _exits(body),
        )  # fmt: skip
    except Problem as problem:
        return ErrorResult(error=problem.body())
    assert isinstance(placed, tuple)  # no Idempotency-Key: never a stored answer
    return OrderResult(order=await with_legs(db, placed[0]))


def _order_request(body: OrderCreate) -> OrderRequest:
    return OrderRequest(
        body.symbol,
        body.side,
        body.type,
        body.time_in_force,
        body.qty,
        body.notional,
        body.limit_price,
        body.stop_price,
        body.trail_price,
        body.trail_percent,
    )


@router.get("/orders", response_model=OrderPage, responses=PROBLEMS)
async def list_orders(
    user: CurrentUser,
    db: Db,
    status: Annotated[Shown, Query()] = "open",
    symbol: Annotated[Symbol | None, Query()] = None,
    limit: Limit = 50,
    after: After = None,
) -> OrderPage:
    after_id = cursor_id(after) if after else None
    rows = await handlers.list_orders(db, user.user_id, status, symbol, after_id, limit + 1)
    page = page_of(rows, limit)
    return OrderPage(items=await many_with_legs(db, page.items), next=page.next)


@router.delete("/orders", status_code=202, response_model=OrderPage, responses=PROBLEMS)
async def cancel_all(user: CurrentUser, db: Db, settings: Config) -> OrderPage:
    rows = await handlers.cancel_all(db, settings, user.user_id)
    return OrderPage(items=[to_order(r) for r in rows], next=None)


@router.get("/orders/by-client-id/{client_order_id}", response_model=Order, responses=PROBLEMS)
async def by_client_id(client_order_id: str, user: CurrentUser, db: Db) -> Order:
    return await with_legs(db, await handlers.get_by_client_id(db, user.user_id, client_order_id))


@router.get("/orders/{order_id}", response_model=Order, responses=PROBLEMS)
async def get_order(order_id: uuid.UUID, user: CurrentUser, db: Db) -> Order:
    return await with_legs(db, await handlers.get_order(db, user.user_id, order_id))


@router.patch(
    "/orders/{order_id}",
    status_code=202,
    response_model=Order,
    responses=PROBLEMS,
    openapi_extra=openapi_body(OrderReplace),
)
async def replace_order(
    order_id: uuid.UUID, body: ReplaceBody, user: CurrentUser, db: Db, settings: Config
) -> Order:
    """Replace a resting order: the answer is the new order (``replaces`` the old one,
    which ends ``replaced`` once the exchange has taken it off the book)."""
    new = await replace.replace_order(
        db, settings, user.user_id, order_id, body.qty, body.limit_price
    )
    return to_order(new)


@router.delete("/orders/{order_id}", status_code=202, response_model=Order, responses=PROBLEMS)
async def cancel_order(order_id: uuid.UUID, user: CurrentUser, db: Db, settings: Config) -> Order:
    return await with_legs(db, await handlers.cancel_order(db, settings, user.user_id, order_id))


@router.get("/orders/{order_id}/fills", response_model=FillPage, responses=PROBLEMS)
async def order_fills(order_id: uuid.UUID, user: CurrentUser, db: Db) -> FillPage:
    rows = await handlers.order_fills(db, user.user_id, order_id)  # 404 unless it is yours
    return FillPage(items=[to_fill(r) for r in rows], next=None)


@router.get("/fills", response_model=FillPage, responses=PROBLEMS)
async def list_fills(user: CurrentUser, db: Db, limit: Limit = 50, after: After = None) -> FillPage:
    after_id = cursor_id(after) if after else None
    rows = await handlers.list_fills(db, user.user_id, after_id, limit + 1)
    page = page_of(rows, limit)
    return FillPage(items=[to_fill(r) for r in page.items], next=page.next)
