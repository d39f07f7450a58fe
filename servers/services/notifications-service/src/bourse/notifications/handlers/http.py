"""Use cases behind the HTTP API, scoped to the caller: another user's notification is a
404 exactly like a missing one. Each write runs in one transaction; reads run outside any."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from bourse.common.db import Database
from bourse.common.errors import not_found
from bourse.common.pagination import Page, cursor_id, page_of
from bourse.notifications import store


@dataclass(frozen=True)
class ReadAll:
    marked: int
    unread_count: int


async def list_notifications(
    db: Database, user_id: UUID, *, unread: bool, limit: int, after: str | None
) -> tuple[Page[Any], int]:
    """A page of the user's notifications, and how many of all of them are unread."""
    before = cursor_id(after) if after else None
    async with db.connection() as pg:
        rows, count = await store.page_and_unread_count(
            pg, user_id, unread=unread, before=before, limit=limit + 1
        )
    return page_of(rows, limit), count


async def mark_read(db: Database, user_id: UUID, notification_id: UUID) -> Any:
    async with db.transaction() as session:
        row = await store.mark_read(session, user_id, notification_id)
    if row is None:
        raise not_found("notification")
    return row


async def mark_all_read(db: Database, user_id: UUID) -> ReadAll:
    async with db.transaction() as session:
        marked = await store.mark_all_read(session, user_id)
        count = await store.unread_count(session, user_id)
    return ReadAll(marked, count)


async def unread_count(db: Database, user_id: UUID) -> int:
    async with db.reading() as session:
        return await store.unread_count(session, user_id)
