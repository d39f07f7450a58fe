"""What order-service does with the events it consumes."""

import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.common.errors import Problem
from bourse.contracts.events import (
    ExchangeCommand,
    ExchangeStarted,
    ExecutionsReported,
    InstrumentChanged,
    OrderRequested,
    PriceChanged,
    RiskAccepted,
    RiskRejected,
)
from bourse.contracts.topology import shard_of
from bourse.messaging.outbox import stage
from bourse.order import epochs
from bourse.order.config import Settings
from bourse.order.db import instruments, orders
from bourse.order.domain.lifecycle import OPEN
from bourse.order.domain.placement import OrderRequest, place
from bourse.order.executions import apply_report
from bourse.order.handlers.orders import (
    create_order,
    finish,
    for_replay,
    insert_order,
    load_instrument,
    lock_order,
    release_replacement,
)
from bourse.order.snapshots import order_changed

log = logging.getLogger(__name__)


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
        await create_order(session, settings, payload.user_id, request, payload.client_order_id)
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


async def on_risk_accepted(
    session: AsyncSession, settings: Settings, payload: RiskAccepted
) -> None:
    row = await lock_order(session, payload.order_id)
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
    engine = place(request, for_replay(instrument), settings.collar).engine
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


async def on_risk_rejected(
    session: AsyncSession, settings: Settings, payload: RiskRejected
) -> None:
    row = await lock_order(session, payload.order_id)
    if row is not None and row.status in OPEN and not row.sent_to_exchange:
        await finish(session, settings, row, "rejected", reason=payload.reason)


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
        await release_replacement(session, settings, replacement, old_filled)
