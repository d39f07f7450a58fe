"""Replacing a resting order (PATCH /orders/{id}), as a cancel and a new order.

The new order is created at once (the answer), ``held``: it waits, without a risk
request, until the exchange has taken the old order off the book. The old order then
ends ``replaced`` (or ``filled`` if it filled first), its reservation is released like
any final order's, and the replacement goes through the normal path: its own risk check,
then the exchange. Fills the old order got meanwhile count against the new quantity, so
the two together never trade more than asked.
"""

import uuid
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.common.errors import Problem, not_found
from bourse.order.config import Settings
from bourse.order.db import orders
from bourse.order.domain.placement import OrderRequest, place
from bourse.order.handlers.orders import Row, insert_order, load_instrument, request_cancel

REPLACEABLE = frozenset({"new", "partially_filled"})  # resting on the book


async def replace_order(
    db: Database,
    settings: Settings,
    user_id: uuid.UUID,
    order_id: uuid.UUID,
    qty: Decimal | None,
    limit_price: Decimal | None,
) -> Row:
    async def work(session: AsyncSession) -> Row:
        old = (
            await session.execute(
                select(orders)
                .where(orders.c.id == order_id, orders.c.user_id == user_id)
                .with_for_update()
            )
        ).one_or_none()
        if old is None:
            raise not_found("order")
        _check_replaceable(old)
        return await _replacement(session, settings, old, qty, limit_price)

    return await db.run(work)


def _check_replaceable(old: Row) -> None:
    if old.status not in REPLACEABLE or old.cancel_requested:
        raise Problem(422, "order_not_open", f"only a resting order can be replaced: {old.status}")
    if old.type not in ("limit", "stop_limit"):
        raise Problem(422, "order_not_replaceable", f"a {old.type} order cannot be replaced")


async def _replacement(
    session: AsyncSession,
    settings: Settings,
    old: Row,
    qty: Decimal | None,
    limit_price: Decimal | None,
) -> Row:
    request = OrderRequest(
        old.symbol,
        old.side,
        old.type,
        old.time_in_force,
        qty if qty is not None else old.qty - old.filled_qty,
        None,
        limit_price if limit_price is not None else old.limit_price,
        old.stop_price,
    )
    placement = place(request, await load_instrument(session, old.symbol), settings.collar)
    new = await insert_order(
        session,
        old.user_id,
        request,
        placement,
        status="pending_new",
        replaces=old.id,
        replace_base_filled=old.filled_qty,
        held=True,
    )
    marked = (
        await session.execute(
            update(orders).where(orders.c.id == old.id).values(replaced_by=new.id).returning(orders)
        )
    ).one()
    await request_cancel(session, settings, marked)
    return new
