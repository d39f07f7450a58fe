"""The mapping of order events to trade updates (pure)."""

import uuid
from typing import get_args

import pytest

from bourse.contracts.events import OrderStatus
from bourse.order.domain.trade_updates import (
    EVENT_OF_STATUS,
    ORDER_FIELDS,
    log_only,
    trade_update,
)

from order_support import cancel_event, order_event

USER = uuid.UUID(int=7)


@pytest.mark.parametrize(
    ("status", "event"),
    [
        ("pending_new", "pending_new"),
        ("new", "new"),
        ("canceled", "canceled"),
        ("expired", "expired"),
        ("replaced", "replaced"),
        ("rejected", "rejected"),
    ],
)
def test_a_status_change_without_a_fill_is_its_statuss_event(status: str, event: str) -> None:
    update = trade_update(order_event(USER, status))  # type: ignore[arg-type]
    assert update.event == event
    assert update.message["event"] == event
    assert update.message["order"]["status"] == status
    assert "price" not in update.message and "qty" not in update.message


def test_every_order_status_has_an_event() -> None:
    assert set(EVENT_OF_STATUS) == set(get_args(OrderStatus))


def test_a_partial_fill_carries_the_fills_price_and_qty() -> None:
    changed = order_event(
        USER, "partially_filled", filled_qty="2", avg="101.5", fill=("2", "101.50")
    )
    update = trade_update(changed)
    assert update.event == "partial_fill"
    assert (update.message["price"], update.message["qty"]) == ("101.5", "2")
    assert update.message["order"]["filled_qty"] == "2"
    assert update.message["timestamp"] == changed.fill.ts.isoformat().replace("+00:00", "Z")  # type: ignore[union-attr]


def test_the_fill_that_completes_the_order_is_a_fill() -> None:
    update = trade_update(
        order_event(USER, "filled", filled_qty="10", avg="100", fill=("8", "100"))
    )
    assert update.event == "fill"
    assert (update.message["price"], update.message["qty"]) == ("100", "8")


def test_a_fill_while_a_cancel_is_pending_is_a_partial_fill() -> None:
    update = trade_update(order_event(USER, "pending_cancel", filled_qty="3", fill=("3", "99")))
    assert update.event == "partial_fill"
    assert update.message["order"]["status"] == "pending_cancel"


def test_an_accepted_cancel_is_pending_cancel() -> None:
    update = trade_update(cancel_event(USER))
    assert update.event == "pending_cancel"
    assert update.user_id == USER
    assert "price" not in update.message


def test_the_message_has_the_contracts_fields_and_the_api_order_object() -> None:
    update = trade_update(order_event(USER, "new"))
    assert list(update.message) == ["type", "event", "order", "timestamp"]
    assert update.message["type"] == "trade_update"
    assert list(update.message["order"]) == list(ORDER_FIELDS)
    assert "user_id" not in update.message["order"]
    assert update.numbered(4)["seq"] == 4
    assert update.message["order"]["limit_price"] == "101.25"
    assert update.message["order"]["created_at"] == "2026-12-01T14:30:00Z"


def test_an_order_from_a_sender_without_created_at_uses_its_update_time() -> None:
    changed = order_event(USER, "new")
    before = changed.order.model_copy(update={"created_at": None})
    old = changed.model_copy(update={"order": before})
    body = trade_update(old).message["order"]
    assert body["created_at"] == body["updated_at"]


def test_only_the_events_no_queue_binds_are_log_only() -> None:
    """pending_new, new and an accepted cancel stay in the log; every status another
    service binds, and every fill, is published."""
    assert log_only(order_event(USER, "pending_new"))
    assert log_only(order_event(USER, "new"))
    assert log_only(cancel_event(USER))
    for status in ("partially_filled", "filled", "canceled", "rejected", "expired", "replaced"):
        assert not log_only(order_event(USER, status))
    assert not log_only(order_event(USER, "pending_cancel", filled_qty="3", fill=("3", "99")))
