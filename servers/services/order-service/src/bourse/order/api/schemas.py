from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator

from bourse.contracts.money import DecimalStr


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value.as_tuple().exponent < -8:  # type: ignore[operator]
        raise ValueError("at most 8 decimal places")
    return value


Amount = Annotated[Decimal, AfterValidator(_finite)]
Symbol = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9.]{0,15}$")]
ClientOrderId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
]


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    symbol: Symbol
    side: Literal["buy", "sell"]
    type: Literal["market", "limit", "stop", "stop_limit"]
    time_in_force: Literal["day", "gtc", "ioc", "fok"]
    qty: Amount | None = None
    notional: Amount | None = None
    limit_price: Amount | None = None
    stop_price: Amount | None = None
    client_order_id: ClientOrderId | None = None


class OrderReplace(BaseModel):
    """PATCH /orders/{id}: the new order's quantity and/or limit price."""

    model_config = ConfigDict(extra="forbid")
    qty: Amount | None = None
    limit_price: Amount | None = None

    @model_validator(mode="after")
    def _something(self) -> "OrderReplace":
        if self.qty is None and self.limit_price is None:
            raise ValueError("give qty, limit_price or both")
        return self


class Order(BaseModel):
    id: UUID
    client_order_id: str | None
    symbol: str
    side: str
    type: str
    time_in_force: str
    qty: DecimalStr | None
    notional: DecimalStr | None
    limit_price: DecimalStr | None
    stop_price: DecimalStr | None
    filled_qty: DecimalStr
    filled_avg_price: DecimalStr | None
    status: str
    reject_reason: str | None
    created_at: datetime
    updated_at: datetime
    filled_at: datetime | None
    canceled_at: datetime | None
    replaces: UUID | None = None  # the order this one replaced (PATCH)
    replaced_by: UUID | None = None


class FillOut(BaseModel):
    id: UUID
    order_id: UUID
    symbol: str
    side: str
    qty: DecimalStr
    price: DecimalStr
    liquidity: str
    created_at: datetime


class OrderPage(BaseModel):
    items: list[Order]
    next: str | None


class FillPage(BaseModel):
    items: list[FillOut]
    next: str | None
