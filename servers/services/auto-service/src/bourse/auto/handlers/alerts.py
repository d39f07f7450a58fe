"""Price alerts: create, read, list and delete through the API; evaluated on every price
(handlers/prices.py) and expired by the scheduler. An alert fires once: active -> triggered
(or expired, or deleted), under its row lock."""

import uuid
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.auto.db import alerts
from bourse.auto.domain.alerts import AlertDraft, check_alert
from bourse.auto.domain.instruments import check_sizes
from bourse.auto.handlers.common import Row, list_owned, mutate, owned, read_owned
from bourse.auto.handlers.instruments import listed
from bourse.common.db import Database
from bourse.common.idempotency import Idempotency, StoredResponse
from bourse.common.pagination import Page
from bourse.contracts.ids import uuid7

WHAT = "alert"


async def create(
    db: Database,
    user_id: uuid.UUID,
    draft: AlertDraft,
    now: datetime,
    idempotency: Idempotency[Row] | None,
) -> Row | StoredResponse:
    async def apply(session: AsyncSession) -> Row:
        alert = check_alert(draft, now)
        instrument = await listed(session, alert.symbol)
        if alert.order is not None:
            check_sizes(alert.order, instrument)
        values = asdict(alert) | {"order": alert.order.public() if alert.order else None}
        statement = insert(alerts).values(id=uuid7(), user_id=user_id, status="active", **values)
        return (await session.execute(statement.returning(alerts))).one()

    return await mutate(db, user_id, idempotency, apply)


async def get(db: Database, user_id: uuid.UUID, item_id: uuid.UUID) -> Row:
    return await read_owned(db, alerts, user_id, item_id, WHAT)


async def list_page(db: Database, user_id: uuid.UUID, limit: int, after: str | None) -> Page[Row]:
    return await list_owned(db, alerts, user_id, limit, after)


async def delete(
    db: Database, user_id: uuid.UUID, item_id: uuid.UUID, idempotency: Idempotency[Row] | None
) -> Row | StoredResponse:
    async def apply(session: AsyncSession) -> Row:
        await owned(session, alerts, user_id, item_id, WHAT)
        statement = (
            update(alerts)
            .where(alerts.c.id == item_id)
            .values(status="deleted", updated_at=func.now())
            .returning(alerts)
        )
        return (await session.execute(statement)).one()

    return await mutate(db, user_id, idempotency, apply)


async def expire_due(session: AsyncSession, now: datetime) -> int:
    """Active alerts whose time is up become expired (rows being evaluated are skipped:
    the price handler expires them itself, or the next sweep does)."""
    due = (
        select(alerts.c.id)
        .where(alerts.c.status == "active", alerts.c.expires_at <= now)
        .order_by(alerts.c.id)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(alerts)
        .where(alerts.c.id.in_(due.scalar_subquery()))
        .values(status="expired", updated_at=func.now())
        .returning(alerts.c.id)
    )
    return len(result.all())
