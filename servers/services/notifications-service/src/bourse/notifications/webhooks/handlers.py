"""Use cases of /api/v1/notifications/webhook: the caller's own webhook only."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.common.errors import Problem, not_found
from bourse.common.idempotency import Idempotency, StoredResponse, once
from bourse.common.pagination import Page, cursor_id, page_of
from bourse.notifications.domain import webhook_urls
from bourse.notifications.domain import webhooks as rules
from bourse.notifications.webhooks import store


async def put_webhook(
    db: Database,
    user_id: UUID,
    url: str,
    secret: str | None,
    allowed: Sequence[webhook_urls.Network],
    idempotency: Idempotency[Any] | None,
) -> Any | StoredResponse:
    """Create or replace the webhook: its row, which carries the secret (generated when
    none was given), or the stored first answer of a repeated Idempotency-Key. The URL
    passes the rule every delivery applies again (webhook_urls.check_url): 422
    ``invalid_webhook_url`` or ``webhook_url_not_allowed`` (an internal host)."""
    try:
        webhook_urls.check_url(url, allowed)
    except webhook_urls.WebhookUrlError as exc:
        raise Problem(422, exc.code, str(exc)) from exc

    async def put(session: AsyncSession) -> Any:
        return await store.put_webhook(session, user_id, url, secret or rules.new_secret())

    return await db.run(lambda session: once(session, user_id, idempotency, put))


async def get_webhook(db: Database, user_id: UUID) -> Any:
    async with db.reading() as session:
        row = await store.get_webhook(session, user_id)
    if row is None:
        raise not_found("webhook")
    return row


async def delete_webhook(db: Database, user_id: UUID) -> None:
    async with db.transaction() as session:
        if not await store.delete_webhook(session, user_id):
            raise not_found("webhook")


async def list_deliveries(
    db: Database, user_id: UUID, status: str | None, limit: int, after: str | None
) -> Page[Any]:
    before = cursor_id(after) if after else None
    async with db.reading() as session:
        rows = await store.deliveries_page(session, user_id, status, before, limit + 1)
    return page_of(rows, limit)
