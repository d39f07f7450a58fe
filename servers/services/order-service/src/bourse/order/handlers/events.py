"""What order-service does with the events it consumes. The hot ones come in batches
(ARCHITECTURE §4a): the risk answers, and the exchange's execution reports; every order a
batch touches is locked once, the events are applied in message order to in-memory
copies by pure rules (domain/answers.py, executions.py), and orders and fills are
written back with one statement each (store.py). The rest is applied one at a time."""

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.common.errors import Problem
from bourse.contracts.events import (
    AccountUpdated,
    ExchangeStarted,
    ExecutionsReported,
    InstrumentChanged,
    OrderRequested,
    PriceChanged,
    RiskAccepted,
    RiskRejected,
    SharesReleased,
)
from bourse.contracts.orders import FINAL_STATUSES
from bourse.contracts.topology import shard_of
from bourse.messaging.consumer import caused_by
from bourse.messaging.outbox import stage
from bourse.messaging.uow import Event, UnitOfWork
from bourse.order import epochs, store
from bourse.order.config import Settings
from bourse.order.db import instruments
from bourse.order.domain import answers
from bourse.order.domain.placement import OrderRequest
from bourse.order.executions import Working, apply_to, engine_ids
from bourse.order.handlers import legs
from bourse.order.handlers.orders import (
    create_order,
    finish,
    insert_order,
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
    requester, cid = OrderRequested.REQUESTER, payload.client_order_id
    try:
        await create_order(session, settings, payload.user_id, request, cid, requester)
    except Problem as problem:
        rejected = await insert_order(
            session,
            payload.user_id,
            request,
            None,
            status="rejected",
            reject_reason=problem.code,
            client_order_id=cid,
            requested_by=requester,
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
    await journal_seen(session, settings, payload.shard, payload.epoch)


async def journal_seen(
    session: AsyncSession, settings: Settings, shard: int, epoch: uuid.UUID
) -> bool:
    """Note that ``shard`` runs journal ``epoch``: when that is a new journal, end the open
    orders of the book it replaced (bourse.order.epochs). False: a retired journal."""
    seen = await epochs.observe(session, shard, epoch)
    for row in await epochs.lost_orders(session, seen.lost):
        await finish(session, settings, row, "canceled", reason=epochs.EXCHANGE_RESET)
    return seen.current


async def on_fills_settled(
    settings: Settings, uow: UnitOfWork, events: Sequence[Event[AccountUpdated]]
) -> None:
    """Fills settled by trader-service (a batch): the take-profits that waited go on."""
    settled = [event.payload.settled for event in events]
    await legs.on_fills_settled(uow, settings, [s for s in settled if s is not None])


async def on_shares_released(
    session: AsyncSession, settings: Settings, payload: SharesReleased
) -> None:
    await legs.on_shares_released(session, settings, payload)


async def on_instrument_changed(session: AsyncSession, payload: InstrumentChanged) -> None:
    values = {
        "tick_size": payload.tick_size,
        "lot_size": payload.lot_size,
        "status": payload.status,
        "maker_fee_bps": payload.maker_fee_bps,
        "taker_fee_bps": payload.taker_fee_bps,
        "updated_at": datetime.now(UTC),
    }
    statement = insert(instruments).values(
        symbol=payload.symbol, last_price=payload.last_price, **values
    )
    if payload.last_price is not None:
        values["last_price"] = payload.last_price
    await session.execute(statement.on_conflict_do_update(index_elements=["symbol"], set_=values))


async def on_price_changed(
    session: AsyncSession, payload: PriceChanged, settings: Settings | None = None
) -> None:
    await session.execute(
        update(instruments)
        .where(instruments.c.symbol == payload.symbol)
        .values(last_price=payload.price, updated_at=datetime.now(UTC))
    )
    if settings is not None:  # the stop-losses that wait in order-service for this price
        await legs.on_price(session, settings, payload.symbol, payload.price)


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
                    **{fee: item[fee] for fee in ("maker_fee_bps", "taker_fee_bps") if fee in item},
                ),
            )


# -- batches ------------------------------------------------------------------------------


async def on_risk_answers(
    settings: Settings, uow: UnitOfWork, events: Sequence[Event[RiskAccepted | RiskRejected]]
) -> None:
    """Send accepted orders to the exchange, end rejected ones (and those cancelled while
    the check ran)."""
    pg = await uow.pg()
    rows, known = await store.lock_orders(pg, {event.payload.order_id for event in events})
    locked = {order["id"]: order for order in rows}
    now = datetime.now(UTC)
    changed: dict[uuid.UUID, dict[str, Any]] = {}
    ended: list[tuple[Event[RiskAccepted | RiskRejected], dict[str, Any]]] = []
    for event in events:
        order = locked.get(event.payload.order_id)
        if order is None:
            continue
        instrument = known.get(order["symbol"])
        announced = answers.answer_risk(
            order, event.payload, instrument, settings.collar, settings.exchange_shards, now
        )
        if not announced:
            continue
        uow.stage(*announced, cause=event)
        changed[order["id"]] = order
        if order["status"] in FINAL_STATUSES and order["replaced_by"] is not None:
            await store.save_orders(pg, [changed.pop(order["id"])])  # before it is read
            with caused_by(event.envelope):
                await release_replacement(
                    uow.session, settings, order["replaced_by"], order["filled_qty"]
                )
        if order["status"] in FINAL_STATUSES:
            ended.append((event, order))
    await store.save_orders(pg, list(changed.values()))
    for event, order in ended:  # held orders waiting for these, one-cancels-other exits
        if not legs.acts_on_end(order):
            continue  # most orders: then the batch needs no session
        with caused_by(event.envelope):
            await legs.on_ended(uow.session, settings, [order])


async def on_reports(
    settings: Settings, uow: UnitOfWork, events: Sequence[Event[ExecutionsReported]]
) -> None:
    """Apply the exchange's reports. A report from a journal not known as current first
    goes through :func:`journal_seen` (a new journal ends the lost book's orders; one
    retired is dropped), so the batch is applied in segments between such reports."""
    current = await store.current_epochs(await uow.pg())
    segment: list[Event[ExecutionsReported]] = []
    for event in events:
        journal = _journal_of(settings, event.payload)
        if journal is not None and journal not in current:
            await _apply_reports(settings, uow, segment)
            segment = []
            with caused_by(event.envelope):
                if not await journal_seen(uow.session, settings, *journal):
                    continue
            current = await store.current_epochs(await uow.pg())
        segment.append(event)
    await _apply_reports(settings, uow, segment)


def _journal_of(settings: Settings, report: ExecutionsReported) -> tuple[int, uuid.UUID] | None:
    if report.epoch is None:
        return None
    shard = report.shard
    if shard is None:
        shard = shard_of(report.symbol, settings.exchange_shards)
    return shard, report.epoch


async def _apply_reports(
    settings: Settings, uow: UnitOfWork, events: Sequence[Event[ExecutionsReported]]
) -> None:
    if not events:
        return
    pg = await uow.pg()
    wanted = set().union(*(engine_ids(event.payload) for event in events))
    rows, known = await store.lock_orders_by_engine_id(pg, wanted)
    working = {row["engine_id"]: Working(row) for row in rows}
    by_id = {order.values["id"]: order for order in working.values()}
    open_before = {key for key, order in by_id.items() if order.state.status not in FINAL_STATUSES}
    unseen = {event.payload.symbol for event in events} - known.keys()  # reports of no order
    if unseen:
        known |= await store.instruments(pg, unseen)
    now = datetime.now(UTC)
    fills: list[tuple[Any, ...]] = []
    ended: list[tuple[Event[ExecutionsReported], uuid.UUID]] = []
    for event in events:
        instrument = known.get(event.payload.symbol)
        if instrument is None:
            raise Problem(422, "unknown_symbol", f"unknown symbol {event.payload.symbol}")
        applied = apply_to(working, instrument, event.payload, now)
        fills += applied.fills
        uow.stage(*applied.changes, cause=event)  # in engine order
        with caused_by(event.envelope):
            for replacement, old_filled in applied.released:
                await release_replacement(uow.session, settings, replacement, old_filled)
            for change in applied.changes:  # the exits of classed orders (handlers/legs)
                if change.fill is None or change.order.id not in by_id:
                    continue
                filled = by_id[change.order.id].values
                if legs.acts_on_fill(filled):  # most fills do not: no session then
                    await legs.on_fill(uow.session, settings, filled, change.fill)
        for key in list(open_before):
            if by_id[key].state.status in FINAL_STATUSES:
                open_before.discard(key)
                ended.append((event, key))
    changed = [order.values for order in working.values() if order.dirty]
    await store.add_fills_save_orders(pg, fills, changed)
    for event, key in ended:  # held orders waiting for these, one-cancels-other exits
        if not legs.acts_on_end(by_id[key].values):
            continue  # most orders: then the batch needs no session
        with caused_by(event.envelope):
            await legs.on_ended(uow.session, settings, [by_id[key].values])
