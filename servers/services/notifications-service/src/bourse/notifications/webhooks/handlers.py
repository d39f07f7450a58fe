"""Use cases of /api/v1/notifications/webhook: the caller's own webhook only."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.common.errors import Problem, not_found
from bourse.common.idempotency import claim, remember
from bourse.common.pagination import encode_cursor
from bourse.notifications.domain import webhook_urls
from bourse.notifications.domain import webhooks as rules
from bourse.notifications.handlers.http import cursor_id
from bourse.notifications.webhooks import store


@dataclass(frozen=True)
class Idempotency:
    key: str
    fingerprint: str


@dataclass(frozen=True)
class DeliveryPage:
    items: list[Any]
    next: str | None


async def put_webhook(
    db: Database,
    user_id: UUID,
    url: str,
    secret: str | None,
    allowed: Sequence[webhook_urls.Network],
    idempotency: Idempotency | None,
    shape: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """Create or replace the webhook; the answer carries the secret (generated when
    none was given), the only time it is shown. ``shape`` turns the row into the
    answer's JSON (stored for an Idempotency-Key replay). The URL passes the rule every
    delivery applies again (webhook_urls.check_url): 422 ``invalid_webhook_url`` or
    ``webhook_url_not_allowed`` (an internal host)."""
    try:
        webhook_urls.check_url(url, allowed)
    except webhook_urls.WebhookUrlError as exc:
        raise Problem(422, exc.code, str(exc)) from exc

    async def work(session: AsyncSession) -> dict[str, Any]:
        if idempotency is not None:
            stored = await claim(session, user_id, idempotency.key, idempotency.fingerprint)
            if stored is not None:
                answer: dict[str, Any] = stored.body
                return answer
        row = await store.put_webhook(session, user_id, url, secret or rules.new_secret())
        body = shape(row)
        if idempotency is not None:
            await remember(session, user_id, idempotency.key, 200, body)
        return body

    return await db.run(work)


async def get_webhook(db: Database, user_id: UUID) -> Any:
    async with db.transaction() as session:
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
) -> DeliveryPage:
    before = cursor_id(after) if after else None
    async with db.transaction() as session:
        rows = await store.deliveries_page(session, user_id, status, before, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return DeliveryPage(rows, encode_cursor(str(rows[-1].id)) if more else None)
