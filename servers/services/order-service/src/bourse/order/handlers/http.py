"""The HTTP use cases of order-service: each runs in one transaction, scoped to the
caller, and stages its events."""

import uuid
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.common.errors import Problem, not_found
from bourse.common.idempotency import Idempotency, StoredResponse, once
from bourse.contracts.orders import OPEN_STATUSES
from bourse.order.config import Settings
from bourse.order.db import orders
from bourse.order.domain.placement import OrderRequest
from bourse.order.handlers.legs import cancel_related
from bourse.order.handlers.orders import Row, create_order, request_cancel, select_by_client_id

Placed = tuple[Row, bool]


async def place_order(
    db: Database,
    settings: Settings,
    user_id: uuid.UUID,
    request: OrderRequest,
    client_order_id: str | None,
    idempotency: Idempotency[Placed] | None = None,
) -> Placed | StoredResponse:
    """(the order, True if created now), or the stored first answer of a repeated
    Idempotency-Key. A known client_order_id returns its order."""

    async def create(session: AsyncSession) -> Placed:
        return await create_order(session, settings, user_id, request, client_order_id)

    try:
        return await db.run(lambda session: once(session, user_id, idempotency, create))
    except IntegrityError:  # the same client_order_id raced in: the other one won
        existing = await _by_client_id(db, user_id, client_order_id)
        if existing is None:
            raise
        return existing, False


async def get_order(db: Database, user_id: uuid.UUID, order_id: uuid.UUID) -> Row:
    """The caller's order (another user's is a 404, like a missing one)."""
    row = await db.fetchrow(_BY_ID, order_id, user_id)
    if row is None:
        raise not_found("order")
    return SimpleNamespace(**row)


_BY_ID = "SELECT * FROM orders WHERE id = $1 AND user_id = $2"


async def get_by_client_id(db: Database, user_id: uuid.UUID, client_order_id: str) -> Row:
    row = await _by_client_id(db, user_id, client_order_id)
    if row is None:
        raise not_found("order")
    return row


async def _by_client_id(db: Database, user_id: uuid.UUID, client_order_id: str | None) -> Row:
    if client_order_id is None:
        return None
    async with db.reading() as session:
        return await select_by_client_id(session, user_id, client_order_id)


async def cancel_order(
    db: Database, settings: Settings, user_id: uuid.UUID, order_id: uuid.UUID
) -> Row:
    async def work(session: AsyncSession) -> Row:
        row = (
            await session.execute(
                select(orders)
                .where(orders.c.id == order_id, orders.c.user_id == user_id)
                .with_for_update()
            )
        ).one_or_none()
        if row is None:
            raise not_found("order")
        if row.status not in OPEN_STATUSES:
            raise Problem(422, "order_not_open", f"the order is already {row.status}")
        canceled = await request_cancel(session, settings, row)
        await cancel_related(session, settings, row)  # its legs, its oco partner
        return canceled

    return await db.run(work)


async def cancel_all(db: Database, settings: Settings, user_id: uuid.UUID) -> list[Row]:
    async def work(session: AsyncSession) -> list[Row]:
        rows = (
            await session.execute(
                select(orders)
                .where(orders.c.user_id == user_id, orders.c.status.in_(OPEN_STATUSES))
                .order_by(orders.c.id)
                .with_for_update()
            )
        ).all()
        return [await request_cancel(session, settings, row) for row in rows]

    return await db.run(work)
