"""Runs of recurring orders: placing the due ones (the scheduler) and recording how
their orders ended (OrderChanged).

Exactly once: due orders are claimed with ``FOR UPDATE SKIP LOCKED`` (each by one
scheduler instance, the others skip it), and in the same transaction the run is recorded,
its ``OrderRequested`` is staged in the outbox and ``next_run_at`` moves past now. A crash
before the commit leaves nothing behind (the next scheduler claims the same slot); after
it, the slot is no longer due. The run's client_order_id is derived from the slot, so even
a duplicate publish of the request is one order at order-service.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.auto.db import recurring_orders, runs
from bourse.auto.domain import recurring as rules
from bourse.auto.domain.errors import DomainError
from bourse.auto.domain.ids import RUN_PREFIX, run_client_order_id
from bourse.auto.domain.runs import run_result
from bourse.auto.domain.schedule import first_slot
from bourse.contracts.events import AutoRunFinished, OrderChanged, OrderRequested
from bourse.contracts.ids import uuid7
from bourse.messaging.outbox import stage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placed:
    recurring_order_id: uuid.UUID
    scheduled_for: datetime
    client_order_id: str


@dataclass(frozen=True)
class Batch:
    claimed: int
    placed: list[Placed]


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[Any]:
    """Up to ``limit`` active recurring orders due at ``now``, locked for this
    transaction; rows another instance holds are skipped, not waited for."""
    query = (
        select(recurring_orders)
        .where(recurring_orders.c.status == "active", recurring_orders.c.next_run_at <= now)
        .order_by(recurring_orders.c.next_run_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).all())


async def place_run(session: AsyncSession, row: Any, now: datetime) -> Placed | None:
    """Run the due slot of ``row`` once (a slot missed while the service was down runs
    once, however many passed), then move ``next_run_at`` to the first slot after now
    (none: the order has completed). None when the slot had a run already."""
    slot: datetime = row.next_run_at
    cid = run_client_order_id(row.id, slot)
    placed = await _record_run(session, row, slot, cid)
    if placed:
        await stage(session, _order_request(row, cid))
    upcoming = _upcoming(row, max(now, slot))
    await session.execute(
        update(recurring_orders)
        .where(recurring_orders.c.id == row.id)
        .values(
            next_run_at=upcoming,
            last_run_at=slot,
            status="active" if upcoming is not None else "completed",
            updated_at=func.now(),
        )
    )
    return Placed(row.id, slot, cid) if placed else None


def _upcoming(row: Any, after: datetime) -> datetime | None:
    """The next slot; None when there is none (also for a schedule that stopped firing)."""
    try:
        return first_slot(rules.stored(row).schedule, after, row.start_at, row.end_at)
    except DomainError as exc:
        log.warning("recurring order %s completes: %s", row.id, exc.detail)
        return None


async def _record_run(session: AsyncSession, row: Any, slot: datetime, cid: str) -> bool:
    inserted = await session.scalar(
        insert(runs)
        .values(
            id=uuid7(),
            recurring_order_id=row.id,
            user_id=row.user_id,
            scheduled_for=slot,
            client_order_id=cid,
            symbol=row.symbol,
            side=row.side,
            qty=row.qty,
            notional=row.notional,
            status="placed",
        )
        .on_conflict_do_nothing()
        .returning(runs.c.id)
    )
    if inserted is None:
        log.warning("run of %s for %s existed already: not placed again", row.id, slot)
    return inserted is not None


def _order_request(row: Any, cid: str) -> OrderRequested:
    return OrderRequested(
        user_id=row.user_id,
        client_order_id=cid,
        symbol=row.symbol,
        side=row.side,
        qty=row.qty,
        notional=row.notional,
    )


async def place_due(session: AsyncSession, now: datetime, limit: int) -> Batch:
    """One batch of the scheduler: claim what is due and place each run. Each run has a
    savepoint: one that fails is logged and left due, and does not hold up the others."""
    claimed = await claim_due(session, now, limit)
    placed = []
    for row in claimed:
        try:
            async with session.begin_nested():
                run = await place_run(session, row, now)
        except SQLAlchemyError:
            raise  # the database's trouble: the whole batch is retried
        except Exception:
            log.exception("run of recurring order %s failed; it stays due", row.id)
            continue
        if run is not None:
            placed.append(run)
    return Batch(len(claimed), placed)


def is_run_order(event: OrderChanged) -> bool:
    """Whether the order was placed by a run (its client_order_id says so)."""
    return (event.order.client_order_id or "").startswith(RUN_PREFIX)


async def on_order_changed(session: AsyncSession, event: OrderChanged) -> None:
    """The order of a run reached a final state: record the outcome once and announce it
    (auto.run.succeeded / auto.run.failed). Orders that are not runs are ignored."""
    order = event.order
    cid = order.client_order_id
    result = run_result(order.status, order.reject_reason)
    if result is None or cid is None or not is_run_order(event):
        return
    run = (
        await session.execute(
            select(runs)
            .where(runs.c.client_order_id == cid, runs.c.user_id == order.user_id)
            .with_for_update()
        )
    ).one_or_none()
    if run is None or run.status != "placed":
        return  # not ours, or its outcome is known already
    values = {
        "status": result.outcome,
        "order_id": order.id,
        "order_status": order.status,
        "filled_qty": order.filled_qty,
        "filled_avg_price": order.filled_avg_price,
        "reason": result.reason,
        "finished_at": func.now(),
    }
    await session.execute(update(runs).where(runs.c.id == run.id).values(**values))
    await stage(
        session,
        AutoRunFinished(
            run_id=run.id,
            recurring_order_id=run.recurring_order_id,
            user_id=run.user_id,
            symbol=run.symbol,
            side=run.side,
            outcome=result.outcome,
            scheduled_for=run.scheduled_for,
            order_id=order.id,
            client_order_id=cid,
            filled_qty=order.filled_qty,
            filled_avg_price=order.filled_avg_price,
            reason=result.reason,
        ),
    )
