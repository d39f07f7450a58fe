"""/api/v1/account (API.md, Trading account): every route is the token's user's own."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from bourse.auth.deps import CurrentUser
from bourse.common.body import json_body, openapi_body
from bourse.common.idempotency import IdempotencyKey, idempotency_of
from bourse.common.pagination import After, Limit, Page
from bourse.messaging.runtime import Db
from bourse.trader.api.schemas import (
    Account,
    Activity,
    AmountRequest,
    CashTransfer,
    Holding,
    SecuritiesDepositRequest,
    SecuritiesTransfer,
)
from bourse.trader.handlers import http

router = APIRouter(prefix="/api/v1/account", tags=["account"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not authenticated"},
    409: {"description": "a request with this Idempotency-Key is in progress"},
    422: {"description": "invalid input or refused (insufficient_funds, unknown_symbol, ...)"},
}


AmountBody = Annotated[AmountRequest, Depends(json_body(AmountRequest))]
SecuritiesBody = Annotated[SecuritiesDepositRequest, Depends(json_body(SecuritiesDepositRequest))]


@router.get("", response_model=Account, responses=PROBLEMS)
async def account(user: CurrentUser, db: Db) -> Account:
    balance, holdings = await http.get_account(db, user.user_id)
    return Account(
        user_id=user.user_id,
        cash=balance.cash,
        reserved_cash=balance.reserved_cash,
        buying_power=balance.buying_power,
        holdings=[
            Holding(
                symbol=h.symbol,
                qty=h.qty,
                reserved_qty=h.reserved_qty,
                available_qty=h.qty - h.reserved_qty,
            )
            for h in holdings
        ],
    )


@router.post(
    "/deposits",
    status_code=201,
    response_model=CashTransfer,
    responses=PROBLEMS,
    openapi_extra=openapi_body(AmountRequest),
)
async def deposit(
    user: CurrentUser, db: Db, body: AmountBody, request: Request, key: IdempotencyKey = None
) -> CashTransfer:
    done = await http.deposit(
        db, user.user_id, body.amount, idempotency_of(request, key, body, 201)
    )
    return CashTransfer(id=done.id, amount=done.amount, created_at=done.created_at)


@router.post(
    "/withdrawals",
    status_code=201,
    response_model=CashTransfer,
    responses=PROBLEMS,
    openapi_extra=openapi_body(AmountRequest),
)
async def withdraw(
    user: CurrentUser, db: Db, body: AmountBody, request: Request, key: IdempotencyKey = None
) -> CashTransfer:
    done = await http.withdraw(
        db, user.user_id, body.amount, idempotency_of(request, key, body, 201)
    )
    return CashTransfer(id=done.id, amount=done.amount, created_at=done.created_at)


@router.post(
    "/securities-deposits",
    status_code=201,
    response_model=SecuritiesTransfer,
    responses=PROBLEMS,
    openapi_extra=openapi_body(SecuritiesDepositRequest),
)
async def deposit_securities(
    user: CurrentUser, db: Db, body: SecuritiesBody, request: Request, key: IdempotencyKey = None
) -> SecuritiesTransfer:
    done = await http.deposit_securities(
        db, user.user_id, body.symbol, body.qty, idempotency_of(request, key, body, 201)
    )
    return SecuritiesTransfer(
        id=done.id, symbol=done.symbol, qty=done.qty, created_at=done.created_at
    )


@router.get("/activities", response_model=Page[Activity], responses=PROBLEMS)
async def activities(
    user: CurrentUser, db: Db, limit: Limit = 50, after: After = None
) -> Page[Activity]:
    page = await http.list_activities(db, user.user_id, limit, after)
    items = [Activity.model_validate(row, from_attributes=True) for row in page.items]
    return Page[Activity](items=items, next=page.next)
