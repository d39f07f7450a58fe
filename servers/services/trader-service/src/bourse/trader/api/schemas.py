"""Request and response bodies of /api/v1/account (API.md, Trading account). Decimals
travel as strings; requests may send a JSON number too, read exactly (never a float)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue, PlainSerializer

from bourse.common.text import PlainText
from bourse.contracts.money import DecimalIn
from bourse.contracts.symbols import Symbol
from bourse.trader.domain.amounts import fmt
from bourse.trader.domain.watchlists import MAX_NAME_LENGTH, MAX_SYMBOLS

DecimalOut = Annotated[Decimal, PlainSerializer(fmt, return_type=str)]


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


# The watchlist limits as documentation: they are checked by the domain rules, which
# answer with their own codes (invalid_watchlist_name, too_many_symbols, duplicate_symbol).
NAME_SCHEMA: dict[str, JsonValue] = {"minLength": 1, "maxLength": MAX_NAME_LENGTH}
SYMBOLS_SCHEMA: dict[str, JsonValue] = {"maxItems": MAX_SYMBOLS, "uniqueItems": True}


class WatchlistRequest(BaseModel):
    """A new watchlist; symbols in the order to keep, each once."""

    model_config = ConfigDict(extra="forbid")
    name: PlainText = Field(json_schema_extra=NAME_SCHEMA)
    symbols: list[Symbol] = Field(
        default_factory=list, max_length=1000, json_schema_extra=SYMBOLS_SCHEMA
    )


class WatchlistUpdate(BaseModel):
    """Rename and/or replace the symbols; a field left out keeps its value."""

    model_config = ConfigDict(extra="forbid")
    name: PlainText | None = Field(default=None, json_schema_extra=NAME_SCHEMA)
    symbols: list[Symbol] | None = Field(
        default=None, max_length=1000, json_schema_extra=SYMBOLS_SCHEMA
    )


class WatchlistSymbolRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    symbol: Symbol


class Watchlist(BaseModel):
    id: UUID
    name: str
    symbols: list[str]
    created_at: datetime
    updated_at: datetime
