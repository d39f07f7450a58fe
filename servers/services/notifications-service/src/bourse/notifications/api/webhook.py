"""/api/v1/notifications/webhook: the caller's webhook and its deliveries.

Each new notification is POSTed as ``{"type":"notification","notification":{...}}`` with
``X-Bourse-Timestamp: <unix seconds>`` and ``X-Bourse-Signature: sha256=<hex>``, the
HMAC-SHA256 of ``<timestamp>.<body>`` under the webhook's secret."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from bourse.auth.deps import CurrentUser
from bourse.common.idempotency import IdempotencyKey, StoredResponse, idempotency_of
from bourse.common.pagination import After, Limit
from bourse.messaging.runtime import Db
from bourse.notifications.api.schemas import (
    Delivery,
    DeliveryPage,
    DeliveryStatus,
    Webhook,
    WebhookCreated,
    WebhookIn,
)
from bourse.notifications.config import Settings
from bourse.notifications.webhooks import handlers

router = APIRouter(prefix="/api/v1/notifications/webhook", tags=["webhook"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not authenticated"},
    404: {"description": "no webhook"},
    422: {"description": "invalid input (invalid_webhook_url, webhook_url_not_allowed, ...)"},
}


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Config = Annotated[Settings, Depends(_settings)]


def _created(row: Any) -> dict[str, Any]:
    return WebhookCreated.model_validate(row, from_attributes=True).model_dump(mode="json")


@router.put("", response_model=WebhookCreated, responses=PROBLEMS)
async def put_webhook(
    body: WebhookIn,
    user: CurrentUser,
    db: Db,
    settings: Config,
    request: Request,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Create or replace; the answer is the only one that shows the secret."""
    result = await handlers.put_webhook(
        db,
        user.user_id,
        body.url,
        body.secret,
        settings.webhook_allowed_networks,
        idempotency_of(request, key, body, 200, _created),
    )
    return result.body if isinstance(result, StoredResponse) else _created(result)


@router.get("", response_model=Webhook, responses=PROBLEMS)
async def get_webhook(user: CurrentUser, db: Db) -> Webhook:
    return Webhook.model_validate(
        await handlers.get_webhook(db, user.user_id), from_attributes=True
    )


@router.delete("", status_code=204, responses=PROBLEMS)
async def delete_webhook(user: CurrentUser, db: Db) -> Response:
    """Remove it; deliveries still pending are canceled."""
    await handlers.delete_webhook(db, user.user_id)
    return Response(status_code=204)


@router.get("/deliveries", response_model=DeliveryPage, responses=PROBLEMS)
async def deliveries(
    user: CurrentUser,
    db: Db,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Limit = 50,
    after: After = None,
) -> DeliveryPage:
    """Newest first; ``status=dead`` lists the ones that gave up."""
    page = await handlers.list_deliveries(db, user.user_id, status, limit, after)
    items = [Delivery.model_validate(row, from_attributes=True) for row in page.items]
    return DeliveryPage(items=items, next=page.next)
