"""/api/v1/portfolio (API.md, Portfolio): always the token's user's own portfolio."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from bourse.auth.deps import CurrentUser
from bourse.contracts.times import UtcTime
from bourse.messaging.runtime import Db
from bourse.portfolio import queries
from bourse.portfolio.api.schemas import EquityHistory, EquityPoint, Portfolio
from bourse.portfolio.domain.history import Timeframe
from bourse.portfolio.live.hub import Hub, utcnow

router = APIRouter(prefix="/api/v1/portfolio", tags=["portfolio"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not authenticated"},
    422: {"description": "invalid input"},
}
MAX_POINTS = 1000


@router.get("", response_model=Portfolio, responses=PROBLEMS)
async def portfolio(user: CurrentUser, db: Db, request: Request) -> Portfolio:
    hub: Hub = request.app.state.hub
    book = await queries.load_book(db, user.user_id)
    return Portfolio.of(hub.value_book(book), utcnow())


@router.get("/history", response_model=EquityHistory, responses=PROBLEMS)
async def history(
    user: CurrentUser,
    db: Db,
    timeframe: Timeframe = "1h",
    start: Annotated[UtcTime | None, Query(description="first sample time (inclusive)")] = None,
    end: Annotated[UtcTime | None, Query(description="last sample time (exclusive)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_POINTS)] = MAX_POINTS,
) -> EquityHistory:
    """Equity over time: per period of ``timeframe``, the last sample taken in it."""
    wanted = queries.HistoryRange(timeframe, start, end, limit)
    rows = await queries.equity_history(db, user.user_id, wanted)
    items = [EquityPoint(ts=row.ts, equity=row.equity) for row in rows]
    return EquityHistory(timeframe=timeframe, items=items)
