"""Price alerts: create, read, list and delete through the API; evaluated on every price
(PriceChanged) and expired by the scheduler. An alert fires once: active -> triggered
(or expired, or deleted), under its row lock."""

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.auto.db import alerts, prices
from bourse.auto.domain.alerts import AlertDraft, candidate_range, check_alert, fires
from bourse.auto.domain.ids import alert_client_order_id
from bourse.auto.domain.instruments import check_sizes
from bourse.auto.domain.orders import OrderSpec
from bourse.auto.handlers.common import Row, list_owned, mutate, owned, read_owned
from bourse.auto.handlers.instruments import listed
from bourse.common.db import Database
from bourse.common.idempotency import Idempotency, StoredResponse
from bourse.common.pagination import Page
from bourse.contracts.events import AlertTriggered, OrderRequested, PriceChanged
from bourse.contracts.ids import uuid7
from bourse.messaging.outbox import stage

WHAT = "alert"
CROSSINGS = ("crosses_above", "crosses_below")


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


async def on_price_changed(session: AsyncSession, event: PriceChanged) -> None:
    """Record the price (the previous one stays what the next price is compared with)
    and fire the active alerts of the symbol that this move satisfies."""
    move = await _swap_price(session, event)
    if move is None:
        return  # older than the price we have: out of order, changes nothing
    previous = move.previous
    await session.execute(
        update(alerts)
        .where(
            alerts.c.symbol == event.symbol,
            alerts.c.status == "active",
            alerts.c.expires_at <= event.ts,
        )
        .values(status="expired", updated_at=func.now())
    )
    for alert in await _candidates(session, event, previous):
        if fires(alert.condition, alert.price, previous, event.price):
            await _trigger(session, alert, event)


@dataclass(frozen=True)
class Move:
    previous: Decimal | None  # None: the first price of the symbol


async def _swap_price(session: AsyncSession, event: PriceChanged) -> Move | None:
    """Store ``event``'s price and return the move from the previous one; None when the
    stored price is newer. The price row's lock serializes the prices of a symbol."""
    values = {"price": event.price, "ts": event.ts}
    first = await session.scalar(
        insert(prices)
        .values(symbol=event.symbol, **values)
        .on_conflict_do_nothing()
        .returning(prices.c.symbol)
    )
    if first is not None:
        return Move(None)
    row = (
        await session.execute(
            select(prices.c.price, prices.c.ts)
            .where(prices.c.symbol == event.symbol)
            .with_for_update()
        )
    ).one()
    if event.ts < row.ts:
        return None
    await session.execute(
        update(prices)
        .where(prices.c.symbol == event.symbol)
        .values(**values, updated_at=func.now())
    )
    return Move(row.price)


async def _candidates(
    session: AsyncSession, event: PriceChanged, previous: Decimal | None
) -> list[Any]:
    """The active alerts of the symbol that this move may fire, locked (the index on
    (symbol, status) finds them; the price bounds keep the rest in the database)."""
    low, high = candidate_range(previous, event.price)
    reachable = or_(
        and_(alerts.c.condition == "above", alerts.c.price <= event.price),
        and_(alerts.c.condition == "below", alerts.c.price >= event.price),
        and_(alerts.c.condition.in_(CROSSINGS), alerts.c.price.between(low, high)),
    )
    query = (
        select(alerts)
        .where(alerts.c.symbol == event.symbol, alerts.c.status == "active", reachable)
        .order_by(alerts.c.id)
        .with_for_update()
    )
    return list((await session.execute(query)).all())


async def _trigger(session: AsyncSession, alert: Any, event: PriceChanged) -> None:
    order = OrderSpec.stored(alert.order) if alert.order else None
    cid = alert_client_order_id(alert.id) if order else None
    await session.execute(
        update(alerts)
        .where(alerts.c.id == alert.id)
        .values(
            status="triggered",
            triggered_at=event.ts,
            triggered_price=event.price,
            client_order_id=cid,
            updated_at=func.now(),
        )
    )
    triggered = AlertTriggered(
        symbol=alert.symbol,
        alert_id=alert.id,
        user_id=alert.user_id,
        condition=alert.condition,
        price=alert.price,
        last_price=event.price,
        action=alert.action,
        client_order_id=cid,
    )
    await stage(session, triggered)
    if order is not None and cid is not None:
        await stage(session, _order_request(alert, order, cid))


def _order_request(alert: Any, order: OrderSpec, cid: str) -> OrderRequested:
    return OrderRequested(
        user_id=alert.user_id,
        client_order_id=cid,
        symbol=alert.symbol,
        side=order.side,
        type=order.type,
        time_in_force=order.time_in_force,
        qty=order.qty,
        notional=order.notional,
        limit_price=order.limit_price,
    )
