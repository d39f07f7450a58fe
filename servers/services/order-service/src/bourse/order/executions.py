"""Applying the exchange's execution reports to orders and fills.

A report holds every event one engine command produced, in engine order. All orders it
touches are locked with one query, the events are applied to working copies in order
(each change yields the OrderChanged event of that moment: a fill carries the filled qty
right after it), then fills and order rows are written in bulk. The consumer's inbox
makes a redelivered report a no-op; fills are also unique by (trade, order), the trade
id including the reporting journal's epoch. Every order a report touches records that
journal (``exchange_epoch``): bourse.order.epochs ends it if that journal is replaced.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts.events import (
    EngineEvent,
    ExecutionsReported,
    Fill,
    OrderChanged,
    trade_key,
)
from bourse.contracts.ids import uuid7
from bourse.order.db import fills, orders
from bourse.order.domain import lifecycle
from bourse.order.domain.instrument import Instrument
from bourse.order.snapshots import order_changed

WRITABLE = (
    "status",
    "filled_qty",
    "filled_notional",
    "reject_reason",
    "updated_at",
    "filled_at",
    "canceled_at",
    "exchange_epoch",
)


class Working:
    """A locked order being changed by a report."""

    def __init__(self, row: Any) -> None:
        self.values: dict[str, Any] = dict(row._mapping)
        self.state = lifecycle.OrderState(row.status, row.qty, row.filled_qty, row.filled_notional)
        self.dirty = False

    def reported_by(self, epoch: UUID | None) -> None:
        """The journal ``epoch`` reported on this order (it is on that journal's book)."""
        if epoch is not None and self.values["exchange_epoch"] != epoch:
            self.values["exchange_epoch"] = epoch
            self.dirty = True

    def sync(self, now: datetime) -> None:
        if self.state.status == "canceled" and self.values["replaced_by"] is not None:
            self.state.status = "replaced"  # taken off the book for its replacement
        self.values.update(
            status=self.state.status,
            filled_qty=self.state.filled_qty,
            filled_notional=self.state.filled_notional,
            updated_at=now,
        )
        if self.state.status == "filled" and self.values["filled_at"] is None:
            self.values["filled_at"] = now
        if (
            self.state.status in ("canceled", "expired", "replaced")
            and not self.values["canceled_at"]
        ):
            self.values["canceled_at"] = now
        self.dirty = True


@dataclass(frozen=True)
class Applied:
    changes: list[OrderChanged]  # in engine order
    # (replacement id, the old order's final filled qty) for every order that ended while
    # a replace was waiting for it
    released: list[tuple[UUID, Decimal]]


async def apply_report(
    session: AsyncSession, instrument: Instrument, report: ExecutionsReported
) -> Applied:
    working = await _lock(session, report.events)
    now = datetime.now(UTC)
    changes: list[OrderChanged] = []
    new_fills: list[dict[str, Any]] = []
    for offset, event in enumerate(report.events):
        seq = report.first_seq + offset
        if event.type == "trade":
            for engine_id, liquidity in ((event.taker, "taker"), (event.maker, "maker")):
                order = working.get(engine_id) if engine_id is not None else None
                if order is None:
                    continue
                fill = _fill(instrument, event, liquidity, now)
                lifecycle.filled(order.state, fill.qty, fill.price)
                order.sync(now)
                trade_id = trade_key(report.symbol, seq, report.epoch)
                new_fills.append(_fill_row(order, fill, trade_id))
                changes.append(order_changed(order.values, fill))
            continue
        order = working.get(event.id) if event.id is not None else None
        if order is not None and _apply(order, event):
            order.sync(now)
            changes.append(order_changed(order.values))
    for order in working.values():
        order.reported_by(report.epoch)
    await _write(session, working, new_fills)
    released = [
        (order.values["replaced_by"], order.state.filled_qty)
        for order in working.values()
        if order.dirty and order.values["replaced_by"] is not None
        and order.state.status in lifecycle.TERMINAL
    ]  # fmt: skip
    return Applied(changes, released)


def _apply(order: Working, event: EngineEvent) -> bool:
    """Apply a non-trade event; True when the order changed."""
    before = order.state.status
    if event.type == "accepted":
        lifecycle.accepted(order.state)
    elif event.type == "cancelled":
        lifecycle.cancelled(order.state, event.reason or "")
    elif event.type == "rejected":
        lifecycle.rejected(order.state)
        order.values["reject_reason"] = event.reason
    return order.state.status != before


def _fill(instrument: Instrument, event: EngineEvent, liquidity: str, now: datetime) -> Fill:
    assert event.price is not None and event.qty is not None
    return Fill(
        id=uuid7(),
        qty=Decimal(event.qty) * instrument.lot_size,
        price=Decimal(event.price) * instrument.tick_size,
        liquidity=liquidity,  # type: ignore[arg-type]
        ts=now,
    )


def _fill_row(order: Working, fill: Fill, trade_id: str) -> dict[str, Any]:
    return {
        "id": fill.id,
        "order_id": order.values["id"],
        "user_id": order.values["user_id"],
        "symbol": order.values["symbol"],
        "side": order.values["side"],
        "qty": fill.qty,
        "price": fill.price,
        "liquidity": fill.liquidity,
        "trade_id": trade_id,
        "created_at": fill.ts,
    }


async def _lock(session: AsyncSession, events: list[EngineEvent]) -> dict[int, Working]:
    ids = {i for e in events for i in (e.id, e.taker, e.maker) if i is not None}
    if not ids:
        return {}
    rows = (
        await session.execute(
            select(orders)
            .where(orders.c.engine_id.in_(ids))
            .order_by(orders.c.id)
            .with_for_update()
        )
    ).all()
    return {row.engine_id: Working(row) for row in rows}


async def _write(
    session: AsyncSession, working: dict[int, Working], new_fills: list[dict[str, Any]]
) -> None:
    if new_fills:
        await session.execute(insert(fills).values(new_fills).on_conflict_do_nothing())
    for order in working.values():
        if order.dirty:
            await session.execute(
                update(orders)
                .where(orders.c.id == order.values["id"])
                .values({key: order.values[key] for key in WRITABLE})
            )
