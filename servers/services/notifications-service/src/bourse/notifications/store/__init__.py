"""The inbox in PostgreSQL. Every read and write is scoped by the user id.

Storing notifications (:func:`add_all`) is idempotent by ``(user_id, source_key)``; a
new one also NOTIFYs :data:`CHANNEL` and, when the user has a webhook, queues its delivery,
all in the caller's transaction: the NOTIFY reaches listeners only when that transaction
commits, and never for one that rolls back."""

import json
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import unnest_columns
from bourse.contracts.ids import uuid7
from bourse.notifications.db import notifications
from bourse.notifications.domain.messages import Draft
from bourse.notifications.metrics import NOTIFICATIONS_CREATED

CHANNEL = "bourse_notifications"


_ADD_ALL = """
INSERT INTO notifications (id, user_id, type, title, body, data, source_key)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                     $6::jsonb[], $7::text[])
ON CONFLICT (user_id, source_key) DO NOTHING RETURNING id, user_id, type
"""
_WITH_WEBHOOK = "SELECT user_id FROM webhooks WHERE user_id = ANY($1::uuid[])"
_QUEUE_WEBHOOKS = """
INSERT INTO webhook_deliveries (id, user_id, notification_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[])
"""
_NOTIFY_ALL = "SELECT pg_notify($1, message) FROM unnest($2::text[]) AS message"


async def add_all(pg: asyncpg.Connection, drafts: Sequence[tuple[UUID, Draft]]) -> list[UUID]:
    """Store each (user, draft) unless its cause made one already, queue the webhook
    deliveries of users who have one and NOTIFY each new notification, with one
    statement per table, in order; returns the ids of the notifications new now."""
    rows: dict[tuple[UUID, str], tuple[object, ...]] = {}
    for user_id, draft in drafts:  # a second draft of one cause is a repeat
        key = (user_id, draft.source_key)
        if key not in rows:
            rows[key] = (uuid7(), user_id, draft.type, draft.title, draft.body)
            rows[key] += (json.dumps(draft.data), draft.source_key)
    columns = unnest_columns(list(rows.values()))
    added = sorted(await pg.fetch(_ADD_ALL, *columns)) if rows else []
    if not added:
        return []
    users = sorted({row[1] for row in added})
    hooked = {row[0] for row in await pg.fetch(_WITH_WEBHOOK, users)}
    queued = [(uuid7(), user, nid) for nid, user, _ in added if user in hooked]
    if queued:
        await pg.execute(_QUEUE_WEBHOOKS, *unnest_columns(queued))
    notices = [
        json.dumps({"id": str(nid), "user_id": str(user), "webhook": user in hooked})
        for nid, user, _ in added
    ]
    await pg.execute(_NOTIFY_ALL, CHANNEL, notices)
    for _, _, kind in added:
        NOTIFICATIONS_CREATED.labels(kind).inc()
    return [row[0] for row in added]


# A page and the user's unread count in one round trip. The count is the one row that the
# page is joined to, so an empty page still has it; both are read down an index on
# (user_id, id): the page down ix_notifications_user_id_id (ix_notifications_unread when
# only the unread are shown), the count down ix_notifications_unread, by an index-only
# scan. The page's 7 columns are those of an answer, of 9. A join promises no order: the
# outer ORDER BY sorts the page again (at most 501 rows, in memory).
_PAGE = """
SELECT u.unread_count, p.*
FROM (
    SELECT count(*) AS unread_count FROM notifications WHERE user_id = $1 AND read_at IS NULL
) u
LEFT JOIN LATERAL (
    SELECT id, type, title, body, data, created_at, read_at FROM notifications
    WHERE user_id = $1{filters} ORDER BY id DESC LIMIT $2
) p ON true
ORDER BY p.id DESC
"""
# One text per combination of filters, not one with optional ones ($3::uuid IS NULL OR
# id < $3): the generic plan that a prepared statement settles on cannot tell which apply.
_PAGES = {
    (unread, paged): _PAGE.format(
        filters=(" AND read_at IS NULL" if unread else "") + (" AND id < $3" if paged else "")
    )
    for unread in (False, True)
    for paged in (False, True)
}


async def page_and_unread_count(
    pg: asyncpg.Connection, user_id: UUID, *, unread: bool, before: UUID | None, limit: int
) -> tuple[list[SimpleNamespace], int]:
    """Up to ``limit`` notifications (the columns of
    :class:`bourse.notifications.schemas.Notification`), newest first, older than
    ``before``; and how many of all the user's notifications are unread. One statement,
    on a connection outside any transaction."""
    args = () if before is None else (before,)
    rows = await pg.fetch(_PAGES[unread, before is not None], user_id, limit, *args)
    return [_listed(row) for row in rows if row["id"] is not None], rows[0]["unread_count"]


def _listed(row: asyncpg.Record) -> SimpleNamespace:
    # asyncpg leaves jsonb as its text (SQLAlchemy's codec decodes it with json.loads too)
    return SimpleNamespace(**{**row, "data": json.loads(row["data"])})


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
