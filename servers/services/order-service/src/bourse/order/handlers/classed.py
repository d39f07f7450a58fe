"""Placing a bracket, oco or oto order (POST /orders with an order_class): the entry like
any order, with its exits recorded on it; an oco's stop-loss leg is created with it (its
take-profit is the order itself). Bracket and oto exits follow the entry's fills
(handlers/legs.py)."""

import uuid

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.common.idempotency import Idempotency, StoredResponse, once
from bourse.order.config import Settings
from bourse.order.db import orders
from bourse.order.domain import order_classes as classes
from bourse.order.domain.placement import OrderRequest, place
from bourse.order.handlers import legs
from bourse.order.handlers.http import Placed, _by_client_id
from bourse.order.handlers.orders import (
    Row,
    insert_order,
    load_instrument,
    request_risk,
    select_by_client_id,
)


async def place_classed(
    db: Database,
    settings: Settings,
    user_id: uuid.UUID,
    request: OrderRequest,
    client_order_id: str | None,
    order_class: classes.OrderClass,
    exits: classes.Exits,
    idempotency: Idempotency[Placed] | None = None,
) -> Placed | StoredResponse:
    classes.validate(order_class, request, exits)

    async def create(session: AsyncSession) -> Placed:
        return await _create(
            session, settings, user_id, request, client_order_id, order_class, exits
        )

    try:
        return await db.run(lambda session: once(session, user_id, idempotency, create))
    except IntegrityError:  # the same client_order_id raced in: the other one won
        existing = await _by_client_id(db, user_id, client_order_id)
        if existing is None:
            raise
        return existing, False


async def _create(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    request: OrderRequest,
    client_order_id: str | None,
    order_class: classes.OrderClass,
    exits: classes.Exits,
) -> tuple[Row, bool]:
    if client_order_id is not None:
        existing = await select_by_client_id(session, user_id, client_order_id)
        if existing is not None:
            return existing, False
    instrument = await load_instrument(session, request.symbol)
    placement = place(request, instrument, settings.collar)
    assert request.qty is not None  # validate: classed orders have a qty
    exit_legs = classes.exits_for_fill(request.symbol, request.side, exits, request.qty)
    if order_class == "oco":  # the order is the take-profit; its stop-loss is the leg
        exit_legs = [classes.Leg("stop_loss", classes.stop_loss(
            request.symbol, request.side, exits, request.qty))]  # fmt: skip
    for leg in exit_legs:  # a bad exit price is this request's 422, not a later rejection
        place(leg.request, instrument, settings.collar)
    row = await insert_order(
        session,
        user_id,
        request,
        placement,
        status="pending_new",
        client_order_id=client_order_id,
        order_class=order_class,
        take_profit_limit=exits.take_profit_limit,
        stop_loss_stop=exits.stop_loss_stop,
        stop_loss_limit=exits.stop_loss_limit,
    )
    await request_risk(session, row, placement)
    if order_class == "oco":
        stop = await legs.add_leg(session, settings, row._mapping, exit_legs[0], sibling=row.id)
        row = (
            await session.execute(
                update(orders)
                .where(orders.c.id == row.id)
                .values(sibling_id=stop.id)
                .returning(orders)
            )
        ).one()
    return row, True
