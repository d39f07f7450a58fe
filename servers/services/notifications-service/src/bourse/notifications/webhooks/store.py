"""Webhook configuration and the delivery queue.

A worker claims due deliveries in one short transaction (``FOR UPDATE SKIP LOCKED``, so
instances never claim the same row): the claim counts the attempt and hides the row for
a lease. The POST happens outside any transaction; its outcome is recorded in another,
guarded by the attempt number, so a worker whose lease ran out cannot overwrite a newer
attempt. A worker that dies mid-attempt leaves the row to come back when the lease ends:
delivery is at least once, and receivers dedupe by ``X-Bourse-Delivery``."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.notifications.db import notifications, webhook_deliveries, webhooks
from bourse.notifications.schemas import pushed_json

deliveries = webhook_deliveries


@dataclass(frozen=True)
class Attempt:
    delivery_id: UUID
    number: int  # 1 for the first attempt
    url: str
    secret: str
    event: str  # the notification's type
    body: bytes


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None = None
    error: str | None = None


async def get_webhook(session: AsyncSession, user_id: UUID) -> Any:
    return (
        await session.execute(select(webhooks).where(webhooks.c.user_id == user_id))
    ).one_or_none()


async def put_webhook(session: AsyncSession, user_id: UUID, url: str, secret: str) -> Any:
    statement = insert(webhooks).values(user_id=user_id, url=url, secret=secret)
    return (
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[webhooks.c.user_id],
                set_={"url": url, "secret": secret, "updated_at": func.now()},
            ).returning(webhooks)
        )
    ).one()


async def delete_webhook(session: AsyncSession, user_id: UUID) -> bool:
    """Remove the webhook; its pending deliveries are canceled."""
    deleted = await session.scalar(
        webhooks.delete().where(webhooks.c.user_id == user_id).returning(webhooks.c.user_id)
    )
    await session.execute(
        update(deliveries)
        .where(deliveries.c.user_id == user_id, deliveries.c.status == "pending")
        .values(status="canceled", updated_at=func.now())
    )
    return deleted is not None


async def deliveries_page(
    session: AsyncSession, user_id: UUID, status: str | None, before: UUID | None, limit: int
) -> list[Any]:
    query = select(deliveries).where(deliveries.c.user_id == user_id)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    if before is not None:
        query = query.where(deliveries.c.id < before)
    query = query.order_by(deliveries.c.id.desc()).limit(limit)
    return list((await session.execute(query)).all())


# Asked before claiming, as one prepared statement outside a transaction: most polls find
# nothing due, and a claiming transaction per poll per instance cost more than the rest of
# an idle instance.
ANY_DUE = """
SELECT EXISTS (
    SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
)
"""


async def claim(session: AsyncSession, batch: int, lease: timedelta) -> list[Attempt]:
    """Claim up to ``batch`` due deliveries for ``lease``; each claim is one attempt."""
    due = (
        select(deliveries.c.id)
        .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= func.now())
        .order_by(deliveries.c.next_attempt_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        await session.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(due.scalar_subquery()))
            .values(
                attempts=deliveries.c.attempts + 1,
                next_attempt_at=func.now() + lease,
                updated_at=func.now(),
            )
            .returning(
                deliveries.c.id,
                deliveries.c.attempts,
                deliveries.c.user_id,
                deliveries.c.notification_id,
            )
        )
    ).all()
    return await _attempts(session, claimed)


async def _attempts(session: AsyncSession, claimed: Sequence[Any]) -> list[Attempt]:
    if not claimed:
        return []
    users = {row.user_id for row in claimed}
    hooks = {
        row.user_id: row
        for row in await session.execute(select(webhooks).where(webhooks.c.user_id.in_(users)))
    }
    rows = await session.execute(
        select(notifications).where(notifications.c.id.in_([c.notification_id for c in claimed]))
    )
    by_id = {row.id: row for row in rows}
    attempts, orphans = [], []
    for row in claimed:
        hook = hooks.get(row.user_id)
        if hook is None:  # the webhook went away after the delivery was queued
            orphans.append(row.id)
            continue
        note = by_id[row.notification_id]
        body = json.dumps(pushed_json(note), separators=(",", ":")).encode()
        attempts.append(Attempt(row.id, row.attempts, hook.url, hook.secret, note.type, body))
    if orphans:
        await session.execute(
            update(deliveries).where(deliveries.c.id.in_(orphans)).values(status="canceled")
        )
    return attempts


async def record(
    session: AsyncSession, attempt: Attempt, outcome: Outcome, next_delay: timedelta | None
) -> None:
    """Store ``outcome``: delivered; or failed, retried after ``next_delay``; or dead
    (``next_delay`` None). Ignored when the row has moved on (a newer attempt)."""
    values: dict[str, Any] = {
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:500] if outcome.error else None,
        "updated_at": func.now(),
    }
    if outcome.delivered:
        values |= {"status": "delivered", "delivered_at": func.now()}
    elif next_delay is None:
        values |= {"status": "dead"}
    else:
        values |= {"next_attempt_at": func.now() + next_delay}
    await session.execute(
        update(deliveries)
        .where(
            deliveries.c.id == attempt.delivery_id,
            deliveries.c.attempts == attempt.number,
            deliveries.c.status == "pending",
        )
        .values(**values)
    )
