"""Routing keys that subscribers bind (a key that changes unnoticed strands a queue)."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from bourse.contracts.events import AccountUpdated, Fill, FillSettled


def _update(reason: str, order_class: str | None = None) -> AccountUpdated:
    settled = None
    if order_class is not None:
        fill = Fill(
            id=uuid.uuid4(),
            qty=Decimal(1),
            price=Decimal(10),
            liquidity="taker",
            ts=datetime.now(UTC),
        )
        settled = FillSettled(
            order_id=uuid.uuid4(), symbol="ACME", side="buy", fill=fill, order_class=order_class
        )
    zero = Decimal(0)
    return AccountUpdated(
        user_id=uuid.uuid4(), cash=zero, reserved_cash=zero, reason=reason, settled=settled
    )


def test_an_account_update_is_routed_by_its_reason() -> None:
    assert _update("deposit").routing_key() == "account.updated.deposit"
    assert _update("withdrawal").routing_key() == "account.updated.withdrawal"


def test_a_settled_fill_is_routed_by_its_orders_class() -> None:
    assert _update("fill", "simple").routing_key() == "account.updated.fill.simple"
    assert _update("fill", "bracket").routing_key() == "account.updated.fill.bracket"
