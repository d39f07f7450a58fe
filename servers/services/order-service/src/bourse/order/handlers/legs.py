"""The legs of classed orders (bourse.order.domain.order_classes) and the held orders
that wait for others to end (a triggered stop-loss, a position's close).

Everything here runs inside the transaction of whatever caused it: the HTTP request
that placed or cancelled an order, or the consumer's batch of execution reports or
prices (its inbox makes a redelivered batch a no-op). So the legs of an entry's fill are
created in the very transaction that records the fill: a crash before its commit redoes
both, after it neither (exactly once).
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.errors import Problem
from bourse.contracts.events import Fill, FillSettled, SharesReleased
from bourse.contracts.orders import OPEN_STATUSES
from bourse.messaging.outbox import stage
from bourse.messaging.uow import UnitOfWork
from bourse.order.config import Settings
from bourse.order.db import orders
from bourse.order.domain import order_classes as classes
from bourse.order.domain.answers import for_replay
from bourse.order.domain.placement import place
from bourse.order.handlers.orders import (
    Row,
    finish,
    insert_order,
    load_instrument,
    lock_order,
    request_cancel,
    request_risk,
    unhold,
)
from bourse.order.snapshots import order_changed

Values = Mapping[str, Any]


def exits_of(order: Values) -> classes.Exits:
    return classes.Exits(
        order["take_profit_limit"], order["stop_loss_stop"], order["stop_loss_limit"]
    )


async def add_leg(
    session: AsyncSession, settings: Settings, parent: Values, leg: classes.Leg,
    sibling: uuid.UUID | None = None, after_fill: uuid.UUID | None = None,
) -> Row:  # fmt: skip
    """Create one exit of ``parent``, held: a stop-loss until its stop price trades, a
    take-profit until ``after_fill`` is settled (:func:`on_fills_settled`). An exit the
    instrument refuses ends ``rejected``, announced like any order, never dropped."""
    common: dict[str, Any] = {
        "status": "pending_new",
        "parent_id": parent["id"],
        "leg": leg.kind,
        "order_class": parent["order_class"],
        "sibling_id": sibling,
        "requested_by": parent["requested_by"],
    }
    instrument = for_replay(await load_instrument(session, leg.request.symbol))
    try:
        place(leg.request, instrument, settings.collar)
    except Problem as problem:
        row = await insert_order(
            session, parent["user_id"], leg.request, None,
            **{**common, "status": "rejected", "reject_reason": problem.code},
        )  # fmt: skip
        await stage(session, order_changed(row))
        return row
    return await insert_order(
        session, parent["user_id"], leg.request, None, held=True, after_fill=after_fill,
        **common,
    )  # fmt: skip


async def add_exits(
    session: AsyncSession, settings: Settings, entry: Values, qty: Decimal, fill: uuid.UUID
) -> list[Row]:
    """The exits the fill ``fill`` of ``qty`` of a bracket or oto ``entry`` adds (a pair
    of a bracket points at each other: one cancels the other)."""
    legs = classes.exits_for_fill(entry["symbol"], entry["side"], exits_of(entry), qty)
    rows = [await add_leg(session, settings, entry, leg, after_fill=fill) for leg in legs]
    if len(rows) == 2:
        take_profit, stop_loss = rows
        await _pair(session, take_profit.id, stop_loss.id)
    return rows


# The held take-profits waiting for any of a batch's (parent order, fill) pairs, in id
# order (a semi-join: a pair given twice finds its order once).
_WAITING_FOR_FILLS = """
SELECT id FROM orders
WHERE (parent_id, after_fill) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))
  AND leg = 'take_profit' AND held
ORDER BY id
"""


async def on_fills_settled(
    uow: UnitOfWork, settings: Settings, settled: Sequence[FillSettled]
) -> None:
    """trader-service settled these fills: the take-profits covering them may now ask for
    their risk checks (the shares they sell are there). One query for the batch, on the
    transaction's asyncpg connection: most fills are of simple orders, which no
    take-profit waits for, and their batches need no session."""
    if not settled:
        return
    pg = await uow.pg()
    parents, fills = [fill.order_id for fill in settled], [fill.fill.id for fill in settled]
    for row in await pg.fetch(_WAITING_FOR_FILLS, parents, fills):
        await release(uow.session, settings, row["id"])


async def _pair(session: AsyncSession, first: uuid.UUID, second: uuid.UUID) -> None:
    for one, other in ((first, second), (second, first)):
        await session.execute(update(orders).where(orders.c.id == one).values(sibling_id=other))


def _adds_exits(order: Values) -> bool:
    return order["parent_id"] is None and order["order_class"] in classes.ENTRY_CLASSES


def _has_waiting_stop_loss(order: Values) -> bool:
    """An exit with a one-cancels-other stop-loss beside it."""
    return order["sibling_id"] is not None and order["leg"] != "stop_loss"


def acts_on_fill(order: Values) -> bool:
    """Whether :func:`on_fill` has anything to do for a fill of ``order`` (a simple
    order's fill has none: its batch needs no session)."""
    return _adds_exits(order) or _has_waiting_stop_loss(order)


async def on_fill(session: AsyncSession, settings: Settings, order: Values, fill: Fill) -> None:
    """``order`` just got ``fill``: an entry adds exits; a take-profit shrinks the
    stop-loss that waits beside it."""
    if _adds_exits(order):
        await add_exits(session, settings, order, fill.qty, fill.id)
    if _has_waiting_stop_loss(order):
        await _shrink_stop_loss(session, settings, order["sibling_id"], fill.qty)


async def _shrink_stop_loss(
    session: AsyncSession, settings: Settings, stop_id: uuid.UUID, qty: Decimal
) -> None:
    stop = await lock_order(session, stop_id)
    if stop is None or not classes.waiting_stop_loss(stop):
        return  # triggered already: it waits for the take-profit and counts its fills then
    left = classes.after_sibling_fill(stop.qty, qty)
    if left <= 0:
        await finish(session, settings, stop, "canceled", reason=None)
        return
    updated = (
        await session.execute(
            update(orders)
            .where(orders.c.id == stop.id)
            .values(qty=left, updated_at=datetime.now(UTC))
            .returning(orders)
        )
    ).one()
    await stage(session, order_changed(updated))


async def on_price(session: AsyncSession, settings: Settings, symbol: str, price: Decimal) -> None:
    """Fire the waiting stop-losses of ``symbol`` that a last price of ``price`` crosses."""
    candidates = (
        await session.execute(
            select(orders.c.id, orders.c.side, orders.c.stop_price, orders.c.sibling_id).where(
                orders.c.symbol == symbol,
                orders.c.leg == "stop_loss",
                orders.c.held,
                orders.c.type.in_(classes.STOP_TYPES),
                orders.c.status.in_(OPEN_STATUSES),
            )
        )
    ).all()
    for row in candidates:
        if row.stop_price is not None and classes.stop_crossed(row.side, row.stop_price, price):
            await _trigger(session, settings, row.id, row.sibling_id)


async def _trigger(
    session: AsyncSession, settings: Settings, stop_id: uuid.UUID, sibling: uuid.UUID | None
) -> None:
    """The stop-loss fires: it becomes a market (or limit) order that waits for its
    take-profit to be taken off the book, then trades what that one did not fill."""
    locked = await _lock_all(session, [stop_id] if sibling is None else [stop_id, sibling])
    stop = locked.get(stop_id)
    if stop is None or not classes.waiting_stop_loss(stop):
        return
    take_profit = locked.get(sibling) if sibling is not None else None
    waiting = take_profit is not None and take_profit.status in OPEN_STATUSES
    await session.execute(
        update(orders)
        .where(orders.c.id == stop.id)
        .values(
            type="market" if stop.limit_price is None else "limit",
            stop_price=None,
            stop_loss_stop=stop.stop_price,
            replace_base_filled=take_profit.filled_qty if waiting and take_profit else None,
            updated_at=datetime.now(UTC),
        )
    )
    if waiting and take_profit is not None:
        await session.execute(
            update(orders).where(orders.c.id == take_profit.id).values(release_to=stop.id)
        )
        refreshed = await lock_order(session, take_profit.id)
        await request_cancel(session, settings, refreshed)
        return
    await release(session, settings, stop.id)


async def _lock_all(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    rows = (
        await session.execute(
            select(orders).where(orders.c.id.in_(ids)).order_by(orders.c.id).with_for_update()
        )
    ).all()
    return {row.id: row for row in rows}


async def release(session: AsyncSession, settings: Settings, held_id: uuid.UUID) -> None:
    """Send the held order ``held_id`` on once every order it waits for has ended, for
    its qty less what they filled since it began to wait; it ends when its owner
    cancelled it meanwhile or nothing is left to trade."""
    held = await lock_order(session, held_id)
    if (
        held is None
        or not held.held
        or held.status not in OPEN_STATUSES
        or classes.waiting_stop_loss(held)
    ):
        return
    waited = (await session.execute(select(orders).where(orders.c.release_to == held_id))).all()
    if not all(classes.given_back(row) for row in waited):
        return
    filled = sum((row.filled_qty for row in waited), Decimal(0))
    qty = classes.release_qty(held.qty, filled, held.replace_base_filled or Decimal(0))
    if held.cancel_requested:
        await finish(session, settings, held, "canceled", reason=None)
        return
    if qty <= 0:
        await finish(session, settings, held, "canceled", reason="qty_already_filled")
        return
    released = await unhold(session, settings, held, qty)
    if released is None:
        return
    updated, placement = released
    await stage(session, order_changed(updated))
    await request_risk(session, updated, placement)


async def on_shares_released(
    session: AsyncSession, settings: Settings, released: SharesReleased
) -> None:
    """trader-service gave back what an ended sell held: an order waiting for it may go."""
    waiting = (
        await session.execute(
            update(orders)
            .where(orders.c.id == released.order_id, orders.c.user_id == released.user_id)
            .values(shares_released=True)
            .returning(orders.c.release_to)
        )
    ).scalar_one_or_none()
    if waiting is not None:
        await release(session, settings, waiting)


def _takes_its_stop_loss(order: Values) -> bool:
    """A take-profit that its owner cancelled, or that expired (one rejected leaves its
    stop-loss waiting: the position stays protected)."""
    return _has_waiting_stop_loss(order) and order["status"] in ("canceled", "expired")


def acts_on_end(order: Values) -> bool:
    """Whether :func:`on_ended` has anything to do for ``order``, which just ended."""
    return order["release_to"] is not None or _takes_its_stop_loss(order)


async def on_ended(session: AsyncSession, settings: Settings, ended: Iterable[Values]) -> None:
    """Orders that just ended: the held orders waiting for them may go on; a
    take-profit cancelled (or expired) by its owner takes its waiting stop-loss with it."""
    for order in ended:
        if order["release_to"] is not None:
            await release(session, settings, order["release_to"])
        elif _takes_its_stop_loss(order):
            stop = await lock_order(session, order["sibling_id"])
            if stop is not None and classes.waiting_stop_loss(stop):
                await finish(session, settings, stop, order["status"], reason=None)


async def cancel_related(session: AsyncSession, settings: Settings, row: Any) -> None:
    """Cancelling an order cancels its open legs, and an exit its one-cancels-other
    waiting stop-loss."""
    query = (
        select(orders)
        .where(orders.c.parent_id == row.id, orders.c.status.in_(OPEN_STATUSES))
        .order_by(orders.c.id)
        .with_for_update()
    )
    related: list[Any] = list((await session.execute(query)).all())
    if row.sibling_id is not None and row.leg != "stop_loss":
        sibling = await lock_order(session, row.sibling_id)
        if sibling is not None and sibling.status in OPEN_STATUSES:
            related.append(sibling)
    for leg in related:
        if not leg.cancel_requested:
            await request_cancel(session, settings, leg)
