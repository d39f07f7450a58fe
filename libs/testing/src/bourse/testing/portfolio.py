"""The events portfolio-service consumes, each built in one call: a settled fill (with the
account's cash after it), a cash movement, a price, a securities deposit. Its tests and
the portfolio WebSocket benchmark (bourse.bench.portfolio_ws) use them."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from bourse.contracts.events import (
    AccountUpdated,
    Fill,
    FillSettled,
    PriceChanged,
    SecuritiesDeposited,
    Side,
)

D = Decimal


def fill(
    user_id: uuid.UUID,
    symbol: str,
    side: Side,
    qty: str,
    price: str,
    *,
    order_id: uuid.UUID | None = None,
    fill_id: uuid.UUID | None = None,
    cash_after: str = "0",
) -> AccountUpdated:
    """A fill as trader-service announces it once settled: the account's cash after it
    (``cash_after``), and the fill."""
    executed = Fill(
        id=fill_id or uuid.uuid4(),
        qty=D(qty),
        price=D(price),
        liquidity="taker",
        ts=datetime.now(UTC),
    )
    settled = FillSettled(
        order_id=order_id or uuid.uuid4(), symbol=symbol, side=side, fill=executed
    )
    return AccountUpdated(
        user_id=user_id, cash=D(cash_after), reserved_cash=D(0), reason="fill", settled=settled
    )


def cash(user_id: uuid.UUID, amount: str, reserved: str = "0") -> AccountUpdated:
    return AccountUpdated(
        user_id=user_id, cash=D(amount), reserved_cash=D(reserved), reason="deposit"
    )


def price(symbol: str, value: str, ts: datetime | None = None) -> PriceChanged:
    return PriceChanged(symbol=symbol, price=D(value), ts=ts or datetime.now(UTC))


def securities(
    user_id: uuid.UUID, symbol: str, qty: str, deposit_id: uuid.UUID | None = None
) -> SecuritiesDeposited:
    return SecuritiesDeposited(
        symbol=symbol,
        user_id=user_id,
        deposit_id=deposit_id or uuid.uuid4(),
        qty=D(qty),
        position_qty=D(qty),
    )
