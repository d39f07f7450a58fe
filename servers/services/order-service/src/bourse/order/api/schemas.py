from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bourse.common.pagination import Page
from bourse.contracts.money import DecimalIn, DecimalStr
from bourse.contracts.symbols import Symbol

ClientOrderId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
]


class TakeProfit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit_price: DecimalIn


class StopLoss(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stop_price: DecimalIn
    limit_price: DecimalIn | None = None


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    symbol: Symbol
    side: Literal["buy", "sell"]
    type: Literal["market", "limit", "stop", "stop_limit", "trailing_stop"]
    time_in_force: Literal["day", "gtc", "ioc", "fok"]
    qty: DecimalIn | None = None
    notional: DecimalIn | None = None
    limit_price: DecimalIn | None = None
    stop_price: DecimalIn | None = None
    trail_price: DecimalIn | None = None  # trailing_stop: exactly one of these two
    trail_percent: DecimalIn | None = None
    client_order_id: ClientOrderId | None = None
    order_class: Literal["simple", "bracket", "oco", "oto"] = "simple"
    take_profit: TakeProfit | None = None
    stop_loss: StopLoss | None = None


class OrderReplace(BaseModel):
    """PATCH /orders/{id}: the new order's quantity and/or limit price."""

    model_config = ConfigDict(extra="forbid")
    qty: DecimalIn | None = None
    limit_price: DecimalIn | None = None

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
    trail_price: DecimalStr | None = None  # trailing stops (stop_price: the current stop)
    trail_percent: DecimalStr | None = None
    hwm: DecimalStr | None = None  # the water mark its stop follows
    order_class: str = "simple"
    legs: "list[Order] | None" = None  # a classed order's exits (None for a simple one)


class FillOut(BaseModel):
    id: UUID
    order_id: UUID
    symbol: str
    side: str
    qty: DecimalStr
    price: DecimalStr
    liquidity: str
    fee: DecimalStr
    created_at: datetime


OrderPage = Page[Order]


class ClosedPositions(BaseModel):
    items: list[Order]  # the orders that close them


FillPage = Page[FillOut]


class OrderBatch(BaseModel):
    """POST /orders/batch: 1 to 100 order bodies, each checked on its own."""

    model_config = ConfigDict(extra="forbid")
    orders: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=100)]


class OrderResult(BaseModel):
    order: Order


class ErrorResult(BaseModel):
    error: dict[str, Any]  # the problem (type, title, status, detail, code) of that order


class OrderBatchResult(BaseModel):
    results: list[OrderResult | ErrorResult]
