"""Recurring orders through the API: create, read, list, change, delete, pause and
resume, and their runs. Every query is scoped to the caller: another user's recurring
order is a 404, exactly like a missing one."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.auto.db import recurring_orders, runs
from bourse.auto.domain import recurring as rules
from bourse.auto.domain.errors import DomainError
from bourse.auto.domain.instruments import check_sizes
from bourse.auto.domain.recurring import Changes, Draft, Recurring
from bourse.auto.handlers.common import Row, list_owned, mutate, owned, read_owned
from bourse.auto.handlers.instruments import listed
from bourse.common.db import Database
from bourse.common.errors import Problem
from bourse.common.idempotency import Idempotency, StoredResponse
from bourse.common.pagination import Page, cursor_id, page_of
from bourse.contracts.ids import uuid7

WHAT = "recurring order"
Result = Row | StoredResponse


def _values(recurring: Recurring) -> dict[str, Any]:
    return {
        "symbol": recurring.symbol,
        "side": recurring.order.side,
        "qty": recurring.order.qty,
        "notional": recurring.order.notional,
        "schedule": recurring.schedule.public(),
        "anchor_date": recurring.schedule.anchor,
        "start_at": recurring.start_at,
        "end_at": recurring.end_at,
    }


async def create(
    db: Database,
    user_id: uuid.UUID,
    draft: Draft,
    now: datetime,
    idempotency: Idempotency[Row] | None,
) -> Result:
    """Validate ``draft`` (422) and store it with its first run."""

    async def apply(session: AsyncSession) -> Row:
        recurring, first = rules.new(draft, now)
        check_sizes(recurring.order, await listed(session, recurring.symbol))
        values = _values(recurring) | {"status": "active", "next_run_at": first}
        statement = insert(recurring_orders).values(id=uuid7(), user_id=user_id, **values)
        return (await session.execute(statement.returning(recurring_orders))).one()

    return await mutate(db, user_id, idempotency, apply)


async def get(db: Database, user_id: uuid.UUID, item_id: uuid.UUID) -> Row:
    return await read_owned(db, recurring_orders, user_id, item_id, WHAT)


async def list_page(db: Database, user_id: uuid.UUID, limit: int, after: str | None) -> Page[Row]:
    return await list_owned(db, recurring_orders, user_id, limit, after)


async def change(
    db: Database,
    user_id: uuid.UUID,
    item_id: uuid.UUID,
    changes: Changes,
    now: datetime,
    idempotency: Idempotency[Row] | None,
) -> Result:
    async def apply(session: AsyncSession) -> Row:
        row = await owned(session, recurring_orders, user_id, item_id, WHAT)
        if row.status == "completed":
            raise _completed()
        recurring, next_run = rules.changed(rules.stored(row), changes, now)
        if changes.given & {"symbol", "qty"}:  # a schedule change keeps what was valid
            check_sizes(recurring.order, await listed(session, recurring.symbol))
        values = _values(recurring)
        if row.status == "active":
            values["next_run_at"] = next_run
        return await _save(session, item_id, values)

    return await mutate(db, user_id, idempotency, apply)


async def delete(
    db: Database, user_id: uuid.UUID, item_id: uuid.UUID, idempotency: Idempotency[Row] | None
) -> Result:
    """Soft: the row stays for the outcomes of runs still in flight, but is gone for the
    API and never runs again."""

    async def apply(session: AsyncSession) -> Row:
        await owned(session, recurring_orders, user_id, item_id, WHAT)
        return await _save(session, item_id, {"status": "deleted", "next_run_at": None})

    return await mutate(db, user_id, idempotency, apply)


async def pause(
    db: Database, user_id: uuid.UUID, item_id: uuid.UUID, idempotency: Idempotency[Row] | None
) -> Result:
    """Stop running (a paused order is not caught up on resume). Pausing twice is fine."""

    async def apply(session: AsyncSession) -> Row:
        row = await owned(session, recurring_orders, user_id, item_id, WHAT)
        if row.status == "completed":
            raise _completed()
        return await _save(session, item_id, {"status": "paused", "next_run_at": None})

    return await mutate(db, user_id, idempotency, apply)


async def resume(
    db: Database,
    user_id: uuid.UUID,
    item_id: uuid.UUID,
    now: datetime,
    idempotency: Idempotency[Row] | None,
) -> Result:
    """Run again from the next slot after now; an order whose end passed while it was
    paused completes instead. Resuming an active order changes nothing."""

    async def apply(session: AsyncSession) -> Row:
        row = await owned(session, recurring_orders, user_id, item_id, WHAT)
        if row.status != "paused":
            if row.status == "completed":
                raise _completed()
            return row
        try:
            next_run = rules.next_run(rules.stored(row), now)
        except DomainError:
            return await _save(session, item_id, {"status": "completed"})
        return await _save(session, item_id, {"status": "active", "next_run_at": next_run})

    return await mutate(db, user_id, idempotency, apply)


async def list_runs(
    db: Database, user_id: uuid.UUID, item_id: uuid.UUID, limit: int, after: str | None
) -> Page[Row]:
    """The runs of the user's recurring order, newest first."""
    await get(db, user_id, item_id)  # 404 unless it is theirs
    before = cursor_id(after)
    query = select(runs).where(runs.c.recurring_order_id == item_id, runs.c.user_id == user_id)
    if before is not None:
        query = query.where(runs.c.id < before)
    async with db.reading() as session:
        rows = (await session.execute(query.order_by(runs.c.id.desc()).limit(limit + 1))).all()
    return page_of(rows, limit)


async def _save(session: AsyncSession, item_id: uuid.UUID, values: dict[str, Any]) -> Row:
    statement = (
        update(recurring_orders)
        .where(recurring_orders.c.id == item_id)
        .values(**values, updated_at=func.now())
        .returning(recurring_orders)
    )
    return (await session.execute(statement)).one()


def _completed() -> Problem:
    return Problem(409, "recurring_order_completed", "the recurring order has completed")
