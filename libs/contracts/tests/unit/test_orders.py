"""The order status groups, and the spelling of the engine's cancel in messages."""

from typing import get_args

from bourse.contracts.events import EngineEvent, OrderStatus
from bourse.contracts.orders import FINAL_STATUSES, OPEN_STATUSES, OUTCOME_STATUSES


def test_every_status_is_open_or_final_and_never_both() -> None:
    assert set(OPEN_STATUSES) | set(FINAL_STATUSES) == set(get_args(OrderStatus))
    assert not set(OPEN_STATUSES) & set(FINAL_STATUSES)


def test_a_replaced_order_has_no_outcome_of_its_own() -> None:
    assert set(OUTCOME_STATUSES) == set(FINAL_STATUSES) - {"replaced"}


def test_a_report_from_before_the_rename_reads_as_canceled() -> None:
    old = EngineEvent.model_validate({"type": "cancelled", "id": 7, "reason": "user"})
    assert old == EngineEvent(type="canceled", id=7, reason="user")
    assert old.model_dump(mode="json")["type"] == "canceled"
