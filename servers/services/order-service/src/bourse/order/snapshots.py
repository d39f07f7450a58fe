"""An order row (or its working copy) as the OrderChanged event other services consume."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bourse.contracts.events import Fill, OrderCancelRequested, OrderChanged, OrderSnapshot
from bourse.order.domain.lifecycle import avg_price


def snapshot(order: Mapping[str, Any]) -> OrderSnapshot:
    return OrderSnapshot(
        id=order["id"],
        user_id=order["user_id"],
        client_order_id=order["client_order_id"],
        symbol=order["symbol"],
        side=order["side"],
        type=order["type"],
        time_in_force=order["time_in_force"],
        qty=order["qty"],
        notional=order["notional"],
        limit_price=order["limit_price"],
        filled_qty=order["filled_qty"],
        filled_avg_price=avg_price(order["filled_qty"], order["filled_notional"]),
        status=order["status"],
        reject_reason=order["reject_reason"],
        updated_at=order["updated_at"] or datetime.now(UTC),
        stop_price=order.get("stop_price"),
        created_at=order.get("created_at"),
        filled_at=order.get("filled_at"),
        canceled_at=order.get("canceled_at"),
        replaces=order.get("replaces"),
        replaced_by=order.get("replaced_by"),
        order_class=order.get("order_class") or "simple",
        trail_price=order.get("trail_price"),
        trail_percent=order.get("trail_percent"),
        hwm=order.get("hwm"),
    )


def order_changed(row: Any, fill: Fill | None = None) -> OrderChanged:
    mapping = row._mapping if hasattr(row, "_mapping") else row
    return OrderChanged(
        order=snapshot(mapping), fill=fill, requested_by=mapping.get("requested_by")
    )


def cancel_requested(row: Any) -> OrderCancelRequested:
    return OrderCancelRequested(order=snapshot(row._mapping))
