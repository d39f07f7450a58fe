"""Request and response bodies of /api/v1/account (API.md, Trading account). Decimals
travel as strings; requests may send a JSON number too, read exactly (never a float)."""

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from bourse.trader.domain.amounts import fmt

_DECIMAL = re.compile(r"-?\d{1,30}(\.\d{1,30})?")
DECIMAL_PATTERN = f"^{_DECIMAL.pattern}$"


def parse_decimal(value: object) -> Decimal:
    """A decimal from a string ("100.25") or an exact JSON number; no bool, float or NaN."""
    if isinstance(value, bool):
        raise ValueError("must be a decimal number, not a boolean")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return Decimal(value)
    raise ValueError('must be a finite decimal number, e.g. "100.25"')


DecimalIn = Annotated[
    Decimal,
    BeforeValidator(parse_decimal),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": DECIMAL_PATTERN}, {"type": "number"}]}),
]
DecimalOut = Annotated[Decimal, PlainSerializer(fmt, return_type=str)]
Symbol = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,19}$")]


class AmountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: DecimalIn


class SecuritiesDepositRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    symbol: Symbol
    qty: DecimalIn


class Holding(BaseModel):
    symbol: str
    qty: DecimalOut
    reserved_qty: DecimalOut
    available_qty: DecimalOut


class Account(BaseModel):
    user_id: UUID
    currency: Literal["USD"] = "USD"
    cash: DecimalOut
    reserved_cash: DecimalOut
    buying_power: DecimalOut
    holdings: list[Holding]


class CashTransfer(BaseModel):
    id: UUID
    amount: DecimalOut
    status: Literal["completed"] = "completed"
    created_at: datetime


class SecuritiesTransfer(BaseModel):
    id: UUID
    symbol: str
    qty: DecimalOut
    status: Literal["completed"] = "completed"
    created_at: datetime


class Activity(BaseModel):
    """A ledger entry. ``amount`` is the cash effect, signed (deposit +, withdrawal -,
    buy fill -, sell fill +); for a release, the cash given back to buying power."""

    id: UUID
    type: str
    amount: DecimalOut | None
    symbol: str | None
    qty: DecimalOut | None
    price: DecimalOut | None
    side: Literal["buy", "sell"] | None
    order_id: UUID | None
    created_at: datetime
