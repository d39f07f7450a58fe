"""Applying the exchange's execution reports to orders and fills: pure, on working
copies of the locked order rows.

A report holds every event one engine command produced, in engine order. The consumer
locks every order of a batch of reports at once; :func:`apply_to` applies one report's
events to the working copies in order (each change yields the OrderChanged event of that
moment: a fill carries the filled qty right after it) and returns the fills to write;
the store writes fills and orders once per batch. The consumer's inbox makes a
redelivered report a no-op; fills are also unique by (trade, order), the trade id
including the reporting journal's epoch. Every order a report touches records that
journal (``exchange_epoch``): bourse.order.epochs ends it if that journal is replaced.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from bourse.contracts import fees
from bourse.contracts.events import (
    EngineEvent,
    ExecutionsReported,
    Fill,
    OrderChanged,
    trade_key,
)
from bourse.contracts.ids import uuid7
from bourse.contracts.orders import FINAL_STATUSES
from bourse.order.domain import lifecycle
from bourse.order.domain.instrument import Instrument
from bourse.order.snapshots import order_changed


class Working:
    """A locked order being changed by a report."""

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.values: dict[str, Any] = dict(row)
        self.state = lifecycle.OrderState(
            row["status"], row["qty"], row["filled_qty"], row["filled_notional"]
        )
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
        if self.state.status in lifecycle.TAKEN_OFF and not self.values["canceled_at"]:
            self.values["canceled_at"] = now
        self.dirty = True


@dataclass(frozen=True)
class Applied:
    changes: list[OrderChanged]  # in engine order
    fills: list[tuple[Any, ...]]  # rows of the fills table, in FILL_COLUMNS order
    # (replacement id, the old order's final filled qty) for every order that ended in
    # this report while a replace was waiting for it
    released: list[tuple[UUID, Decimal]]


FILL_COLUMNS = (
    "id", "order_id", "user_id", "symbol", "side", "qty", "price", "liquidity", "trade_id",
    "created_at", "fee",
)  # fmt: skip


def engine_ids(report: ExecutionsReported) -> set[int]:
    """The engine ids of the orders ``report`` speaks of."""
    return {i for e in report.events for i in (e.id, e.taker, e.maker) if i is not None}


def apply_to(
    working: Mapping[int, Working], instrument: Instrument, report: ExecutionsReported,
    now: datetime,
) -> Applied:  # fmt: skip
    """Apply ``report`` to the working copies of its orders (those ``working`` lacks are
    not this service's, or gone); returns its events, fills and released replacements."""
    mine = [working[i] for i in sorted(engine_ids(report)) if i in working]
    open_before = {id(order) for order in mine if order.state.status not in FINAL_STATUSES}
    changes: list[OrderChanged] = []
    new_fills: list[tuple[Any, ...]] = []
    for offset, event in enumerate(report.events):
        seq = report.first_seq + offset
        if event.type == "trade":
            for engine_id, liquidity in _sides(event):
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
        if order is not None and _apply(order, event, instrument, now):
            order.sync(now)
            changes.append(order_changed(order.values))
    for order in mine:
        order.reported_by(report.epoch)
    released = [
        (order.values["replaced_by"], order.state.filled_qty)
        for order in mine
        if id(order) in open_before and order.values["replaced_by"] is not None
        and order.state.status in FINAL_STATUSES
    ]  # fmt: skip
    return Applied(changes, new_fills, released)


def _apply(order: Working, event: EngineEvent, instrument: Instrument, now: datetime) -> bool:
    """Apply a non-trade event; True when the order's status changed."""
    before = order.state.status
    if event.type == "trailed":  # a trailing stop moved: stored, not announced
        assert event.stop_price is not None and event.water_mark is not None
        order.values["stop_price"] = event.stop_price * instrument.tick_size
        order.values["hwm"] = event.water_mark * instrument.tick_size
        order.values["updated_at"] = now
        order.dirty = True
    elif event.type == "accepted":
        lifecycle.accepted(order.state)
    elif event.type == "canceled":
        lifecycle.cancelled(order.state, event.reason or "")
    elif event.type == "rejected":
        lifecycle.rejected(order.state)
        order.values["reject_reason"] = event.reason
    return order.state.status != before


def _sides(trade: EngineEvent) -> tuple[tuple[int | None, fees.Liquidity], ...]:
    return ((trade.taker, "taker"), (trade.maker, "maker"))


def _fill(
    instrument: Instrument, event: EngineEvent, liquidity: fees.Liquidity, now: datetime
) -> Fill:
    """One side of a trade, priced with the instrument's fee for its liquidity."""
    assert event.price is not None and event.qty is not None
    qty = Decimal(event.qty) * instrument.lot_size
    price = Decimal(event.price) * instrument.tick_size
    fee = fees.fill_fee(price, qty, instrument.fee_bps(liquidity))
    return Fill(id=uuid7(), qty=qty, price=price, liquidity=liquidity, ts=now, fee=fee)


def _fill_row(order: Working, fill: Fill, trade_id: str) -> tuple[Any, ...]:
    values = order.values
    return (
        fill.id, values["id"], values["user_id"], values["symbol"], values["side"], fill.qty,
        fill.price, fill.liquidity, trade_id, fill.ts, fill.fee,
    )  # fmt: skip
