"""Use cases of order-service: each runs in one transaction and stages its events."""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.common.errors import Problem, not_found
from bourse.common.idempotency import StoredResponse, claim, remember
from bourse.contracts.events import (
    ExchangeCommand,
    ExchangeStarted,
    ExecutionsReported,
    InstrumentChanged,
    OrderRequested,
    PriceChanged,
    RiskAccepted,
    RiskRejected,
    RiskRequested,
)
from bourse.contracts.ids import uuid7
from bourse.contracts.topology import shard_of
from bourse.messaging.outbox import stage
from bourse.order import epochs
from bourse.order.config import Settings
from bourse.order.db import engine_ids, instruments, orders
from bourse.order.domain.instrument import Instrument
from bourse.order.domain.lifecycle import OPEN
from bourse.order.domain.placement import OrderRequest, Placement, place
from bourse.order.executions import apply_report
from bourse.order.snapshots import order_changed

Row = Any
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Idempotency:
    """An Idempotency-Key, the request's fingerprint and how to render the answer."""

    key: str
    fingerprint: str
    render: Callable[[Row], dict[str, Any]]


async def place_order(
    db: Database,
    settings: Settings,
    user_id: uuid.UUID,
    request: OrderRequest,
    client_order_id: str | None,
    idempotency: Idempotency | None = None,
) -> tuple[Row, bool] | StoredResponse:
    """(the order, True if created now), or the stored first answer of a repeated
    Idempotency-Key. A known client_order_id returns its order."""
    try:
        return await db.run(
            lambda s: _place(s, settings, user_id, request, client_order_id, idempotency)
        )
    except IntegrityError:  # the same client_order_id raced in: the other one won
        existing = await _by_client_id(db, user_id, client_order_id)
        if existing is None:
            raise
        return existing, False


async def _place(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    request: OrderRequest,
    client_order_id: str | None,
    idempotency: Idempotency | None,
) -> tuple[Row, bool] | StoredResponse:
    if idempotency is not None:
        stored = await claim(session, user_id, idempotency.key, idempotency.fingerprint)
        if stored is not None:
            return stored
    placed = await _create(session, settings, user_id, request, client_order_id)
    if idempotency is not None:
        await remember(session, user_id, idempotency.key, 202, idempotency.render(placed[0]))
    return placed


async def _create(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    request: OrderRequest,
    client_order_id: str | None,
) -> tuple[Row, bool]:
    if client_order_id is not None:
        existing = await _select_by_client_id(session, user_id, client_order_id)
        if existing is not None:
            return existing, False
    instrument = await load_instrument(session, request.symbol)
    placement = place(request, instrument, settings.collar)
    row = await insert_order(
        session, user_id, request, placement, status="pending_new", client_order_id=client_order_id
    )
    await request_risk(session, row, placement)
    return row, True


async def insert_order(
    session: AsyncSession,
    user_id: uuid.UUID,
    request: OrderRequest,
    placement: Placement | None,
    **state: Any,
) -> Row:
    """A new order row for ``request`` reserving what ``placement`` says (nothing when
    None); ``state`` sets the rest: status, client_order_id, replace links."""
    return (
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
                engine_id=engine_ids.next_value(),
                reserve_cash=placement.reserve_cash if placement else Decimal(0),
                reserve_qty=placement.reserve_qty if placement else Decimal(0),
                **state,
            )
            .returning(orders)
        )
    ).one()


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
    return Instrument(row.symbol, row.tick_size, row.lot_size, row.status, row.last_price)


async def get_order(db: Database, user_id: uuid.UUID, order_id: uuid.UUID) -> Row:
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(orders).where(orders.c.id == order_id, orders.c.user_id == user_id)
            )
        ).one_or_none()
    if row is None:
        raise not_found("order")
    return row


async def get_by_client_id(db: Database, user_id: uuid.UUID, client_order_id: str) -> Row:
    row = await _by_client_id(db, user_id, client_order_id)
    if row is None:
        raise not_found("order")
    return row


async def _by_client_id(db: Database, user_id: uuid.UUID, client_order_id: str | None) -> Row:
    if client_order_id is None:
        return None
    async with db.transaction() as session:
        return await _select_by_client_id(session, user_id, client_order_id)


async def _select_by_client_id(session: AsyncSession, user_id: uuid.UUID, cid: str) -> Row:
    return (
        await session.execute(
            select(orders).where(orders.c.user_id == user_id, orders.c.client_order_id == cid)
        )
    ).one_or_none()


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
        if row.status not in OPEN:
            raise Problem(422, "order_not_open", f"the order is already {row.status}")
        return await request_cancel(session, settings, row)

    return await db.run(work)


async def cancel_all(db: Database, settings: Settings, user_id: uuid.UUID) -> list[Row]:
    async def work(session: AsyncSession) -> list[Row]:
        rows = (
            await session.execute(
                select(orders)
                .where(orders.c.user_id == user_id, orders.c.status.in_(OPEN))
                .order_by(orders.c.id)
                .with_for_update()
            )
        ).all()
        return [await request_cancel(session, settings, row) for row in rows]

    return await db.run(work)


async def request_cancel(session: AsyncSession, settings: Settings, row: Row) -> Row:
    """Mark the order pending_cancel; the exchange (or the risk answer) finishes it."""
    if row.cancel_requested:
        return row
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
    return (
        await session.execute(
            update(orders)
            .where(orders.c.id == row.id)
            .values(status="pending_cancel", cancel_requested=True, updated_at=datetime.now(UTC))
            .returning(orders)
        )
    ).one()


# -- consumers ------------------------------------------------------------------------------


async def on_risk_accepted(
    session: AsyncSession, settings: Settings, payload: RiskAccepted
) -> None:
    row = await _lock_order(session, payload.order_id)
    if row is None or row.sent_to_exchange or row.status not in OPEN:
        return
    if row.cancel_requested:  # cancelled while the risk check ran: never reaches the book
        await finish(session, settings, row, "canceled", reason=None)
        return
    instrument = await load_instrument(session, row.symbol)
    request = OrderRequest(
        row.symbol,
        row.side,
        row.type,
        row.time_in_force,
        row.qty,
        row.notional,
        row.limit_price,
        row.stop_price,
    )
    engine = place(request, _for_replay(instrument), settings.collar).engine
    await stage(
        session,
        ExchangeCommand(
            symbol=row.symbol,
            op="new",
            engine_id=row.engine_id,
            order_id=row.id,
            side=row.side,
            order_type=engine.order_type,
            price=engine.price,
            stop_price=engine.stop_price,
            qty=engine.qty,
            tif=engine.tif,
            owner=str(row.user_id),
            budget=engine.budget,
            shards=settings.exchange_shards,
        ),
    )
    await session.execute(update(orders).where(orders.c.id == row.id).values(sent_to_exchange=True))


def _for_replay(instrument: Instrument) -> Instrument:
    """The order was validated when placed: a halt since then does not stop it here (the
    exchange is the place that refuses trading), and the collar uses the price now."""
    return Instrument(
        instrument.symbol,
        instrument.tick_size,
        instrument.lot_size,
        "trading",
        instrument.last_price,
    )


async def on_risk_rejected(
    session: AsyncSession, settings: Settings, payload: RiskRejected
) -> None:
    row = await _lock_order(session, payload.order_id)
    if row is not None and row.status in OPEN and not row.sent_to_exchange:
        await finish(session, settings, row, "rejected", reason=payload.reason)


async def finish(
    session: AsyncSession, settings: Settings, row: Row, status: str, reason: str | None
) -> None:
    """End ``row`` as ``status`` (a canceled order waited on by its replacement ends
    ``replaced`` and lets the replacement go) and publish its event."""
    if status == "canceled" and row.replaced_by is not None:
        status = "replaced"
    now = datetime.now(UTC)
    values: dict[str, Any] = {"status": status, "reject_reason": reason, "updated_at": now}
    if status == "canceled":
        values["canceled_at"] = now
    updated = (
        await session.execute(
            update(orders).where(orders.c.id == row.id).values(**values).returning(orders)
        )
    ).one()
    await stage(session, order_changed(updated))
    if updated.replaced_by is not None:
        await _release_replacement(session, settings, updated.replaced_by, updated.filled_qty)


async def _release_replacement(
    session: AsyncSession, settings: Settings, replacement: uuid.UUID, old_filled: Decimal
) -> None:
    """The order ``replacement`` waits for is final, having filled ``old_filled``: the
    replacement goes on now, shrunk by what the old order filled since the replace (its
    own risk check follows), or ends when nothing is left to trade or its owner
    cancelled it meanwhile."""
    new = await _lock_order(session, replacement)
    if new is None or not new.held:
        return
    qty = new.qty - (old_filled - new.replace_base_filled)
    if new.cancel_requested:
        await finish(session, settings, new, "canceled", reason=None)
        return
    if qty <= 0:
        await finish(session, settings, new, "rejected", reason="qty_already_filled")
        return
    request = OrderRequest(
        new.symbol, new.side, new.type, new.time_in_force, qty, None, new.limit_price,
        new.stop_price,
    )  # fmt: skip
    placement = place(
        request, _for_replay(await load_instrument(session, new.symbol)), settings.collar
    )
    await session.execute(
        update(orders)
        .where(orders.c.id == new.id)
        .values(
            qty=qty,
            held=False,
            reserve_cash=placement.reserve_cash,
            reserve_qty=placement.reserve_qty,
            updated_at=datetime.now(UTC),
        )
    )
    await request_risk(session, new, placement)


async def _lock_order(session: AsyncSession, order_id: uuid.UUID) -> Row:
    return (
        await session.execute(select(orders).where(orders.c.id == order_id).with_for_update())
    ).one_or_none()


async def on_order_requested(
    session: AsyncSession, settings: Settings, payload: OrderRequested
) -> None:
    """An order asked for by auto-service (a recurring run, a triggered alert): the same
    path as POST /orders. Its client_order_id makes a repeat a no-op; a request that fails
    validation (halted or unknown symbol, bad size) is recorded as a rejected order, so
    the requester learns why from the order's own events."""
    request = OrderRequest(
        payload.symbol,
        payload.side,
        payload.type,
        payload.time_in_force,
        payload.qty,
        payload.notional,
        payload.limit_price,
        None,
    )
    try:
        await _create(session, settings, payload.user_id, request, payload.client_order_id)
    except Problem as problem:
        rejected = await insert_order(
            session,
            payload.user_id,
            request,
            None,
            status="rejected",
            reject_reason=problem.code,
            client_order_id=payload.client_order_id,
        )
        await stage(session, order_changed(rejected))


async def on_executions(
    session: AsyncSession, settings: Settings, payload: ExecutionsReported
) -> None:
    if payload.epoch is not None:
        shard = payload.shard
        if shard is None:
            shard = shard_of(payload.symbol, settings.exchange_shards)
        if not await _journal_seen(session, settings, shard, payload.epoch):
            return
    instrument = await load_instrument(session, payload.symbol)
    applied = await apply_report(session, instrument, payload)
    await stage(session, *applied.changes)  # one insert, in engine order
    for replacement, old_filled in applied.released:
        await _release_replacement(session, settings, replacement, old_filled)


async def on_exchange_started(
    session: AsyncSession, settings: Settings, payload: ExchangeStarted
) -> None:
    if payload.shards != settings.exchange_shards:
        log.error(
            "exchange shard %d runs with %d shards, order-service routes over %d",
            payload.shard,
            payload.shards,
            settings.exchange_shards,
        )
    await _journal_seen(session, settings, payload.shard, payload.epoch)


async def _journal_seen(
    session: AsyncSession, settings: Settings, shard: int, epoch: uuid.UUID
) -> bool:
    """Note that ``shard`` runs journal ``epoch``: when that is a new journal, end the open
    orders of the book it replaced (bourse.order.epochs). False: a retired journal."""
    seen = await epochs.observe(session, shard, epoch)
    for row in await epochs.lost_orders(session, seen.lost):
        await finish(session, settings, row, "canceled", reason=epochs.EXCHANGE_RESET)
    return seen.current


async def on_instrument_changed(session: AsyncSession, payload: InstrumentChanged) -> None:
    values = {
        "tick_size": payload.tick_size,
        "lot_size": payload.lot_size,
        "status": payload.status,
        "updated_at": datetime.now(UTC),
    }
    statement = insert(instruments).values(
        symbol=payload.symbol, last_price=payload.last_price, **values
    )
    if payload.last_price is not None:
        values["last_price"] = payload.last_price
    await session.execute(statement.on_conflict_do_update(index_elements=["symbol"], set_=values))


async def on_price_changed(session: AsyncSession, payload: PriceChanged) -> None:
    await session.execute(
        update(instruments)
        .where(instruments.c.symbol == payload.symbol)
        .values(last_price=payload.price, updated_at=datetime.now(UTC))
    )


async def upsert_instruments(db: Database, items: list[dict[str, Any]]) -> None:
    """Bootstrap from stock-service's list (used when no instrument event arrived yet)."""
    async with db.transaction() as session:
        for item in items:
            await on_instrument_changed(
                session,
                InstrumentChanged(
                    symbol=item["symbol"],
                    name=item.get("name", item["symbol"]),
                    tick_size=Decimal(item["tick_size"]),
                    lot_size=Decimal(item["lot_size"]),
                    status=item["status"],
                    last_price=Decimal(item["last_price"]) if item.get("last_price") else None,
                ),
            )
