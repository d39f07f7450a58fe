"""/api/v1/auto/recurring-orders (API.md, Automation): the caller's own only."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from bourse.auth.deps import CurrentUser
from bourse.auto.api.deps import PROBLEMS, Now, idempotency
from bourse.auto.api.schemas import (
    RecurringCreate,
    RecurringOrder,
    RecurringPage,
    RecurringPatch,
    Run,
    RunPage,
    ScheduleIn,
)
from bourse.auto.domain.orders import OrderSpec
from bourse.auto.domain.recurring import Changes, Draft
from bourse.auto.domain.schedule import ScheduleRequest
from bourse.auto.handlers import recurring
from bourse.auto.handlers.common import Row
from bourse.common.body import json_body, openapi_body
from bourse.common.idempotency import IdempotencyKey, StoredResponse, replay
from bourse.common.pagination import After, Limit
from bourse.messaging.runtime import Db

router = APIRouter(prefix="/api/v1/auto/recurring-orders", tags=["recurring orders"])
CreateBody = Annotated[RecurringCreate, Depends(json_body(RecurringCreate))]
PatchBody = Annotated[RecurringPatch, Depends(json_body(RecurringPatch))]
Answer = RecurringOrder | Response


def _render(row: Row) -> object:
    return RecurringOrder.of(row).model_dump(mode="json")


def _answer(result: Row | StoredResponse) -> Answer:
    return replay(result) if isinstance(result, StoredResponse) else RecurringOrder.of(result)


def _schedule(body: ScheduleIn) -> ScheduleRequest:
    return ScheduleRequest(**body.model_dump())


@router.post(
    "",
    status_code=201,
    response_model=RecurringOrder,
    responses=PROBLEMS,
    openapi_extra=openapi_body(RecurringCreate),
)
async def create(
    user: CurrentUser,
    db: Db,
    now: Now,
    body: CreateBody,
    request: Request,
    key: IdempotencyKey = None,
) -> Answer:
    draft = Draft(
        symbol=body.symbol,
        order=OrderSpec(side=body.side, qty=body.qty, notional=body.notional),
        schedule=_schedule(body.schedule),
        start_at=body.start_at,
        end_at=body.end_at,
    )
    idem = idempotency(request, key, body, 201, _render)
    return _answer(await recurring.create(db, user.user_id, draft, now, idem))


@router.get("", response_model=RecurringPage, responses=PROBLEMS)
async def list_recurring(
    user: CurrentUser, db: Db, limit: Limit = 50, after: After = None
) -> RecurringPage:
    page = await recurring.list_page(db, user.user_id, limit, after)
    return RecurringPage(items=[RecurringOrder.of(r) for r in page.items], next=page.next)


@router.get("/{item_id}", response_model=RecurringOrder, responses=PROBLEMS)
async def get(item_id: uuid.UUID, user: CurrentUser, db: Db) -> RecurringOrder:
    return RecurringOrder.of(await recurring.get(db, user.user_id, item_id))


@router.patch(
    "/{item_id}",
    response_model=RecurringOrder,
    responses=PROBLEMS,
    openapi_extra=openapi_body(RecurringPatch),
)
async def change(
    item_id: uuid.UUID,
    user: CurrentUser,
    db: Db,
    now: Now,
    body: PatchBody,
    request: Request,
    key: IdempotencyKey = None,
) -> Answer:
    changes = Changes(
        given=frozenset(body.model_fields_set),
        symbol=body.symbol,
        side=body.side,
        qty=body.qty,
        notional=body.notional,
        schedule=_schedule(body.schedule) if body.schedule is not None else None,
        start_at=body.start_at,
        end_at=body.end_at,
    )
    idem = idempotency(request, key, body, 200, _render)
    return _answer(await recurring.change(db, user.user_id, item_id, changes, now, idem))


@router.delete("/{item_id}", status_code=204, responses=PROBLEMS)
async def delete(
    item_id: uuid.UUID, user: CurrentUser, db: Db, request: Request, key: IdempotencyKey = None
) -> Response:
    idem = idempotency(request, key, None, 204, lambda _row: None)
    result = await recurring.delete(db, user.user_id, item_id, idem)
    return replay(result) if isinstance(result, StoredResponse) else Response(status_code=204)


@router.post("/{item_id}/pause", response_model=RecurringOrder, responses=PROBLEMS)
async def pause(
    item_id: uuid.UUID, user: CurrentUser, db: Db, request: Request, key: IdempotencyKey = None
) -> Answer:
    idem = idempotency(request, key, None, 200, _render)
    return _answer(await recurring.pause(db, user.user_id, item_id, idem))


@router.post("/{item_id}/resume", response_model=RecurringOrder, responses=PROBLEMS)
async def resume(
    item_id: uuid.UUID,
    user: CurrentUser,
    db: Db,
    now: Now,
    request: Request,
    key: IdempotencyKey = None,
) -> Answer:
    idem = idempotency(request, key, None, 200, _render)
    return _answer(await recurring.resume(db, user.user_id, item_id, now, idem))


@router.get("/{item_id}/runs", response_model=RunPage, responses=PROBLEMS)
async def runs(
    item_id: uuid.UUID, user: CurrentUser, db: Db, limit: Limit = 50, after: After = None
) -> RunPage:
    page = await recurring.list_runs(db, user.user_id, item_id, limit, after)
    return RunPage(items=[Run.of(r) for r in page.items], next=page.next)
