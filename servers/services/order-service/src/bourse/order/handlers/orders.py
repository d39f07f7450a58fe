"""What requests and consumed events both do to orders: create one (and ask for its
risk check), request a cancel, end one, and let a replacement waiting on it go on."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.errors import Problem
from bourse.contracts.events import (
    ExchangeCommand,
    RiskRequested,
)
from bourse.contracts.ids import uuid7
from bourse.messaging.outbox import stage
from bourse.order import store
from bourse.order.config import Settings
from bourse.order.db import engine_ids, instruments, orders
from bourse.order.domain.answers import ended, for_replay
from bourse.order.domain.instrument import Instrument
from bourse.order.domain.order_classes import waiting_stop_loss
from bourse.order.domain.placement import OrderRequest, Placement, place
from bourse.order.snapshots import cancel_requested, order_changed

Row = Any


async def insert_order(
    session: AsyncSession,
    user_id: uuid.UUID,
    request: OrderRequest,
    placement: Placement | None,
    **state: Any,
) -> Row:
    """A new order row for ``request`` reserving what ``placement`` says (nothing when
    None); ``state`` sets the rest: status, client_order_id, replace links. A
    ``pending_new`` order is announced at once (a rejected one by its caller)."""
    row = (
        await session.execute(
            insert(orders)
            .values(
                id=uuid7(),
                user_id=user_id,
                symbol=request.symbol,
                side=request.side,
                type=request.type,
                time_in_force=request.time_in_force,
                qty=request.qty,
                notional=request.notional,
                limit_price=request.limit_price,
                stop_price=request.stop_price,
                trail_price=request.trail_price,
                trail_percent=request.trail_percent,
                engine_id=engine_ids.next_value(),
                reserve_cash=placement.reserve_cash if placement else Decimal(0),
                reserve_qty=placement.reserve_qty if placement else Decimal(0),
                **state,
            )
            .returning(orders)
        )
    ).one()
    if row.status == "pending_new":
        await stage(session, order_changed(row))
    return row


async def request_risk(session: AsyncSession, order: Row, placement: Placement) -> None:
    """Ask trader-service to reserve what ``order`` needs (the saga's first step)."""
    await stage(
        session,
        RiskRequested(
            order_id=order.id,
            user_id=order.user_id,
            symbol=order.symbol,
            side=order.side,
            reserve_cash=placement.reserve_cash,
            reserve_qty=placement.reserve_qty,
        ),
    )


async def load_instrument(session: AsyncSession, symbol: str) -> Instrument:
    row = (
        await session.execute(select(instruments).where(instruments.c.symbol == symbol))
    ).one_or_none()
    if row is None:
        raise Problem(422, "unknown_symbol", f"unknown symbol {symbol}")
    return store.instrument_of(row._mapping)


async def create_order(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    request: OrderRequest,
    client_order_id: str | None,
    requested_by: str | None = None,
) -> tuple[Row, bool]:
    if client_order_id is not None:
        existing = await select_by_client_id(session, user_id, client_order_id)
        if existing is not None:
            return existing, False
    instrument = await load_instrument(session, request.symbol)
    placement = place(request, instrument, settings.collar)
    row = await insert_order(
        session,
        user_id,
        request,
        placement,
        status="pending_new",
        client_order_id=client_order_id,
        requested_by=requested_by,
    )
    await request_risk(session, row, placement)
    return row, True


async def select_by_client_id(session: AsyncSession, user_id: uuid.UUID, cid: str) -> Row:
    return (
        await session.execute(
            select(orders).where(orders.c.user_id == user_id, orders.c.client_order_id == cid)
        )
    ).one_or_none()


async def request_cancel(session: AsyncSession, settings: Settings, row: Row) -> Row:
    """Mark the order pending_cancel (announced before the engine can answer the
    cancel); the exchange (or the risk answer) finishes it."""
    if row.cancel_requested:
        return row
    if waiting_stop_loss(row):  # not on the book, nothing reserved: it ends at once
        return await finish(session, settings, row, "canceled", reason=None)
    updated = (
        await session.execute(
            update(orders)
            .where(orders.c.id == row.id)
            .values(status="pending_cancel", cancel_requested=True, updated_at=datetime.now(UTC))
            .returning(orders)
        )
    ).one()
    await stage(session, cancel_requested(updated))
    if row.sent_to_exchange:
        await stage(
            session,
            ExchangeCommand(
                symbol=row.symbol,
                op="cancel",
                engine_id=row.engine_id,
                order_id=row.id,
                shards=settings.exchange_shards,
            ),
        )
    return updated


async def finish(
    session: AsyncSession, settings: Settings, row: Row, status: str, reason: str | None
) -> Row:
    """End ``row`` as ``status`` (a canceled order waited on by its replacement ends
    ``replaced`` and lets the replacement go) and publish its event."""
    values = ended(row._mapping, status, reason, datetime.now(UTC))
    updated = (
        await session.execute(
            update(orders).where(orders.c.id == row.id).values(**values).returning(orders)
        )
    ).one()
    await stage(session, order_changed(updated))
    if updated.replaced_by is not None:
        await release_replacement(session, settings, updated.replaced_by, updated.filled_qty)
    from bourse.order.handlers.legs import on_ended  # noqa: PLC0415 (legs builds on this module)

    await on_ended(session, settings, [updated._mapping])
    return updated


async def release_replacement(
    session: AsyncSession, settings: Settings, replacement: uuid.UUID, old_filled: Decimal
) -> None:
    """The order ``replacement`` waits for is final, having filled ``old_filled``: the
    replacement goes on now, shrunk by what the old order filled since the replace (its
    own risk check follows), or ends when nothing is left to trade, its owner cancelled it
    meanwhile, or its instrument refuses it now (rejected with the reason)."""
    new = await lock_order(session, replacement)
    if new is None or not new.held:
        return
    qty = new.qty - (old_filled - new.replace_base_filled)
    if new.cancel_requested:
        await finish(session, settings, new, "canceled", reason=None)
        return
    if qty <= 0:
        await finish(session, settings, new, "rejected", reason="qty_already_filled")
        return
    released = await unhold(session, settings, new, qty)
    if released is not None:
        await request_risk(session, *released)


async def unhold(
    session: AsyncSession, settings: Settings, held: Row, qty: Decimal
) -> tuple[Row, Placement] | None:
    """The held order ``held`` goes on for ``qty``: no longer held, reserving what ``qty``
    needs now; returns its row and placement (for its risk check). None when its
    instrument refuses it now (a new lot size or tick): it ends rejected with the reason."""
    request = OrderRequest(
        held.symbol, held.side, held.type, held.time_in_force, qty, None, held.limit_price,
        held.stop_price,
    )  # fmt: skip
    try:
        placement = place(
            request, for_replay(await load_instrument(session, held.symbol)), settings.collar
        )
    except Problem as problem:
        await finish(session, settings, held, "rejected", reason=problem.code)
        return None
    updated = (
        await session.execute(
            update(orders)
            .where(orders.c.id == held.id)
            .values(
                qty=qty,
                held=False,
                reserve_cash=placement.reserve_cash,
                reserve_qty=placement.reserve_qty,
                updated_at=datetime.now(UTC),
            )
            .returning(orders)
        )
    ).one()
    return updated, placement


async def lock_order(session: AsyncSession, order_id: uuid.UUID) -> Row:
    return (
        await session.execute(select(orders).where(orders.c.id == order_id).with_for_update())
    ).one_or_none()
