"""/api/v1/auto/alerts (API.md, Automation): the caller's own only."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from bourse.auth.deps import CurrentUser
from bourse.auto.api.deps import PROBLEMS, Now, idempotency
from bourse.auto.api.schemas import Alert, AlertCreate, AlertOrderIn, AlertPage
from bourse.auto.domain.alerts import AlertDraft
from bourse.auto.domain.orders import OrderSpec
from bourse.auto.handlers import alerts
from bourse.auto.handlers.common import Row
from bourse.common.body import json_body, openapi_body
from bourse.common.idempotency import IdempotencyKey, StoredResponse, replay
from bourse.common.pagination import After, Limit
from bourse.messaging.runtime import Db

router = APIRouter(prefix="/api/v1/auto/alerts", tags=["alerts"])
CreateBody = Annotated[AlertCreate, Depends(json_body(AlertCreate))]


def _render(row: Row) -> object:
    return Alert.of(row).model_dump(mode="json")


def _order(body: AlertOrderIn | None) -> OrderSpec | None:
    return OrderSpec(**body.model_dump()) if body is not None else None


@router.post(
    "",
    status_code=201,
    response_model=Alert,
    responses=PROBLEMS,
    openapi_extra=openapi_body(AlertCreate),
)
async def create(
    user: CurrentUser,
    db: Db,
    now: Now,
    body: CreateBody,
    request: Request,
    key: IdempotencyKey = None,
) -> Alert | Response:
    draft = AlertDraft(
        symbol=body.symbol,
        condition=body.condition,
        price=body.price,
        action=body.action,
        order=_order(body.order),
        expires_at=body.expires_at,
    )
    idem = idempotency(request, key, body, 201, _render)
    result = await alerts.create(db, user.user_id, draft, now, idem)
    return replay(result) if isinstance(result, StoredResponse) else Alert.of(result)


@router.get("", response_model=AlertPage, responses=PROBLEMS)
async def list_alerts(
    user: CurrentUser, db: Db, limit: Limit = 50, after: After = None
) -> AlertPage:
    page = await alerts.list_page(db, user.user_id, limit, after)
    return AlertPage(items=[Alert.of(r) for r in page.items], next=page.next)


@router.get("/{item_id}", response_model=Alert, responses=PROBLEMS)
async def get(item_id: uuid.UUID, user: CurrentUser, db: Db) -> Alert:
    return Alert.of(await alerts.get(db, user.user_id, item_id))


@router.delete("/{item_id}", status_code=204, responses=PROBLEMS)
async def delete(
    item_id: uuid.UUID, user: CurrentUser, db: Db, request: Request, key: IdempotencyKey = None
) -> Response:
    idem = idempotency(request, key, None, 204, lambda _row: None)
    result = await alerts.delete(db, user.user_id, item_id, idem)
    return replay(result) if isinstance(result, StoredResponse) else Response(status_code=204)
