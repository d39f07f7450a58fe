"""The inbox in PostgreSQL. Every read and write is scoped by the user id.

Storing a notification (:func:`add`) is idempotent by ``(user_id, source_key)``; a new
one also NOTIFYs :data:`CHANNEL` and, when the user has a webhook, queues its delivery,
all in the caller's transaction: the NOTIFY reaches listeners only when that transaction
commits, and never for one that rolls back."""

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts.ids import uuid7
from bourse.notifications.db import notifications, webhook_deliveries, webhooks
from bourse.notifications.domain.messages import Draft
from bourse.notifications.metrics import NOTIFICATIONS_CREATED

CHANNEL = "bourse_notifications"


async def add(session: AsyncSession, user_id: UUID, draft: Draft) -> UUID | None:
    """Store ``draft`` for ``user_id``; None when its source made one already."""
    new_id = uuid7()
    inserted = await session.scalar(
        insert(notifications)
        .values(
            id=new_id,
            user_id=user_id,
            type=draft.type,
            title=draft.title,
            body=draft.body,
            data=draft.data,
            source_key=draft.source_key,
        )
        .on_conflict_do_nothing(
            index_elements=[notifications.c.user_id, notifications.c.source_key]
        )
        .returning(notifications.c.id)
    )
    if inserted is None:
        return None
    queued = await _queue_webhook(session, user_id, new_id)
    message = json.dumps({"id": str(new_id), "user_id": str(user_id), "webhook": queued})
    await session.execute(text("SELECT pg_notify(:c, :m)"), {"c": CHANNEL, "m": message})
    NOTIFICATIONS_CREATED.labels(draft.type).inc()
    return new_id


async def _queue_webhook(session: AsyncSession, user_id: UUID, notification_id: UUID) -> bool:
    """Queues the delivery if the user has a webhook; whether one was queued."""
    has_webhook = await session.scalar(
        select(webhooks.c.user_id).where(webhooks.c.user_id == user_id)
    )
    if has_webhook is None:
        return False
    await session.execute(
        insert(webhook_deliveries).values(
            id=uuid7(), user_id=user_id, notification_id=notification_id
        )
    )
    return True


async def page(
    session: AsyncSession, user_id: UUID, *, unread: bool, before: UUID | None, limit: int
) -> list[Any]:
    """Up to ``limit`` notifications, newest first, older than ``before``."""
    query = select(notifications).where(notifications.c.user_id == user_id)
    if unread:
        query = query.where(notifications.c.read_at.is_(None))
    if before is not None:
        query = query.where(notifications.c.id < before)
    query = query.order_by(notifications.c.id.desc()).limit(limit)
    return list((await session.execute(query)).all())


async def unread_count(session: AsyncSession, user_id: UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(notifications)
        .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
    )
    return int(count or 0)


async def by_ids(session: AsyncSession, ids: Sequence[UUID]) -> list[Any]:
    """The notifications with these ids, oldest first (the live feed's read)."""
    query = select(notifications).where(notifications.c.id.in_(ids)).order_by(notifications.c.id)
    return list((await session.execute(query)).all())


async def mark_read(session: AsyncSession, user_id: UUID, notification_id: UUID) -> Any:
    """The notification, read (the first read time stays); None when not the user's."""
    await session.execute(
        update(notifications)
        .where(
            notifications.c.id == notification_id,
            notifications.c.user_id == user_id,
            notifications.c.read_at.is_(None),
        )
        .values(read_at=func.now())
    )
    return (
        await session.execute(
            select(notifications).where(
                notifications.c.id == notification_id, notifications.c.user_id == user_id
            )
        )
    ).one_or_none()


async def mark_all_read(session: AsyncSession, user_id: UUID) -> int:
    result = await session.execute(
        update(notifications)
        .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
        .values(read_at=func.now())
        .returning(notifications.c.id)
    )
    return len(result.all())


async def created_since(session: AsyncSession, user_ids: Sequence[UUID], since: Any) -> list[Any]:
    """The users' notifications created at or after ``since`` (a catch-up after the live
    feed lost its connection)."""
    query = select(notifications).where(
        notifications.c.user_id.in_(user_ids), notifications.c.created_at >= since
    )
    return list((await session.execute(query.order_by(notifications.c.id))).all())
