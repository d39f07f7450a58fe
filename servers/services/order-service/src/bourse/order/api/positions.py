"""/api/v1/positions (API.md, Orders): close the caller's positions with market sells.
The positions are the caller's holdings in trader-service's account (handlers/positions)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from bourse.auth.deps import CurrentUser
from bourse.contracts.money import DecimalIn
from bourse.contracts.symbols import Symbol
from bourse.messaging.runtime import Db
from bourse.order.api.routes import PROBLEMS, Config, many_with_legs, with_legs
from bourse.order.api.schemas import ClosedPositions, Order
from bourse.order.handlers import positions

router = APIRouter(prefix="/api/v1", tags=["positions"])
CLOSE_PROBLEMS = {**PROBLEMS, 503: {"description": "the trading account cannot be read"}}


@router.delete(
    "/positions/{symbol}", status_code=202, response_model=Order, responses=CLOSE_PROBLEMS
)
async def close_position(
    symbol: Symbol,
    user: CurrentUser,
    db: Db,
    settings: Config,
    request: Request,
    qty: Annotated[DecimalIn | None, Query()] = None,
    percentage: Annotated[DecimalIn | None, Query()] = None,
) -> Order:
    """A market sell of all (or ``qty``, or ``percentage`` of) the caller's ``symbol``
    position that no open order holds; 404 ``position_not_found`` without one."""
    held = await positions.holdings(settings, request.headers)
    row = await positions.close_position(
        db, settings, user.user_id, held.get(symbol), qty, percentage
    )
    return await with_legs(db, row)


@router.delete(
    "/positions", status_code=202, response_model=ClosedPositions, responses=CLOSE_PROBLEMS
)
async def close_all_positions(
    user: CurrentUser,
    db: Db,
    settings: Config,
    request: Request,
    cancel_orders: Annotated[bool, Query()] = False,
) -> ClosedPositions:
    """Close every position; ``cancel_orders`` cancels the caller's open orders first (a
    position they hold is sold once they are off the book)."""
    held = await positions.holdings(settings, request.headers)
    rows = await positions.close_all(db, settings, user.user_id, held, cancel_orders)
    return ClosedPositions(items=await many_with_legs(db, rows))
