"""What the risk check's answer does to an order, and how an order ends: pure rules on the
order's row (a mapping of its columns), shared by the batch consumer and the requests.

* accepted: the order goes to its exchange shard (an engine ``new`` command), unless its
  owner cancelled it meanwhile: then it ends ``canceled`` without reaching the book;
* rejected: the order ends ``rejected`` with the reason, unless it is no longer open.
"""

from collections.abc import Mapping, MutableMapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from bourse.contracts.events import ExchangeCommand, Payload, RiskAccepted, RiskRejected
from bourse.contracts.orders import OPEN_STATUSES
from bourse.order.domain.instrument import Instrument
from bourse.order.domain.placement import OrderRequest, place
from bourse.order.snapshots import order_changed

Order = MutableMapping[str, Any]


def answer_risk(
    order: Order,
    answer: RiskAccepted | RiskRejected,
    instrument: Instrument | None,
    collar: Decimal,
    shards: int,
    now: datetime,
) -> list[Payload]:
    """Apply ``answer`` to ``order`` (changed in place); returns what it announces."""
    if order["sent_to_exchange"] or order["status"] not in OPEN_STATUSES:
        return []
    if isinstance(answer, RiskRejected):
        order.update(ended(order, "rejected", answer.reason, now))
        return [order_changed(order)]
    if order["cancel_requested"]:  # cancelled while the risk check ran: never on the book
        order.update(ended(order, "canceled", None, now))
        return [order_changed(order)]
    if instrument is None:
        raise ValueError(f"unknown symbol {order['symbol']}")
    order["sent_to_exchange"] = True
    return [engine_new(order, instrument, collar, shards)]


def ended(
    order: Mapping[str, Any], status: str, reason: str | None, now: datetime
) -> dict[str, Any]:
    """The columns that end ``order`` as ``status``: a canceled order that a replacement
    waits for ends ``replaced``."""
    if status == "canceled" and order["replaced_by"] is not None:
        status = "replaced"
    values: dict[str, Any] = {"status": status, "reject_reason": reason, "updated_at": now}
    if status == "canceled":
        values["canceled_at"] = now
    return values


def engine_new(
    order: Mapping[str, Any], instrument: Instrument, collar: Decimal, shards: int
) -> ExchangeCommand:
    """The engine command that puts ``order`` on the book."""
    request = OrderRequest(
        order["symbol"],
        order["side"],
        order["type"],
        order["time_in_force"],
        order["qty"],
        order["notional"],
        order["limit_price"],
        None if order["type"] == "trailing_stop" else order["stop_price"],  # the engine's
        order.get("trail_price"),
        order.get("trail_percent"),
    )
    engine = place(request, for_replay(instrument), collar).engine
    if engine.budget is not None and engine.order_type == "trailing_stop":
        # what was reserved when it was placed, whatever the price since
        budget = int(order["reserve_cash"] // (instrument.tick_size * instrument.lot_size))
        engine = replace(engine, budget=budget)
    return ExchangeCommand(
        symbol=order["symbol"],
        op="new",
        engine_id=order["engine_id"],
        order_id=order["id"],
        side=order["side"],
        order_type=engine.order_type,
        price=engine.price,
        stop_price=engine.stop_price,
        qty=engine.qty,
        tif=engine.tif,
        owner=str(order["user_id"]),
        budget=engine.budget,
        trail=engine.trail,
        trail_bps=engine.trail_bps,
        shards=shards,
    )


def for_replay(instrument: Instrument) -> Instrument:
    """The order was validated when placed: a halt since then does not stop it here (the
    exchange is the place that refuses trading), and the collar uses the price now."""
    return replace(instrument, status="trading")
