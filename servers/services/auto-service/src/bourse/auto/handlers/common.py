"""What every use case shares: refusals as problems, ``Idempotency-Key`` handling,
pages of rows, and the row lookups that scope every read to its user."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.auto.domain.errors import DomainError
from bourse.common.db import Database
from bourse.common.errors import Problem, not_found
from bourse.common.idempotency import Idempotency, StoredResponse, once
from bourse.common.pagination import Page, cursor_id, page_of

Row = Any
T = TypeVar("T")


def refused(exc: DomainError) -> Problem:
    return Problem(422, exc.code, exc.detail)


async def mutate(
    db: Database,
    user_id: uuid.UUID,
    idempotency: Idempotency[T] | None,
    apply: Callable[[AsyncSession], Awaitable[T]],
) -> T | StoredResponse:
    """Run ``apply`` in one transaction, once per idempotency key: a repeat of the key
    with the same request returns the stored first answer. Domain refusals are 422."""
    try:
        return await db.run(lambda session: once(session, user_id, idempotency, apply))
    except DomainError as exc:
        raise refused(exc) from exc


async def owned(
    session: AsyncSession, table: Table, user_id: uuid.UUID, item_id: uuid.UUID, what: str
) -> Row:
    """The user's row ``item_id``, locked; 404 when it is missing, deleted or not theirs."""
    row = (
        await session.execute(
            select(table)
            .where(table.c.id == item_id, table.c.user_id == user_id, table.c.status != "deleted")
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        raise not_found(what)
    return row


async def read_owned(
    db: Database, table: Table, user_id: uuid.UUID, item_id: uuid.UUID, what: str
) -> Row:
    async with db.reading() as session:
        row = (
            await session.execute(
                select(table).where(
                    table.c.id == item_id, table.c.user_id == user_id, table.c.status != "deleted"
                )
            )
        ).one_or_none()
    if row is None:
        raise not_found(what)
    return row


async def list_owned(
    db: Database, table: Table, user_id: uuid.UUID, limit: int, after: str | None
) -> Page[Row]:
    """The user's rows of ``table`` (not deleted), newest first."""
    before = cursor_id(after)
    query = select(table).where(table.c.user_id == user_id, table.c.status != "deleted")
    if before is not None:
        query = query.where(table.c.id < before)
    async with db.reading() as session:
        rows = (await session.execute(query.order_by(table.c.id.desc()).limit(limit + 1))).all()
    return page_of(rows, limit)
