"""Request and response bodies of /api/v1/auto (API.md, Automation). Decimals travel as
strings; requests may send a JSON number too, read exactly (never through a float).
Shapes are checked here (422 ``validation_error``); the rules (422 with their own codes:
``invalid_schedule``, ``invalid_cron``, ...) in the domain."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from bourse.auto.domain.schedule import FREQUENCIES
from bourse.common.pagination import Page
from bourse.contracts.money import DecimalIn, DecimalStr
from bourse.contracts.symbols import Symbol
from bourse.contracts.times import UtcTime as Time

Side = Literal["buy", "sell"]
Condition = Literal["above", "below", "crosses_above", "crosses_below"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScheduleIn(Strict):
    cron: Annotated[StrictStr | None, Field(max_length=100, examples=["*/5 * * * *"])] = None
    frequency: Annotated[
        StrictStr | None, Field(max_length=20, json_schema_extra={"enum": [*FREQUENCIES, None]})
    ] = None
    at: Annotated[StrictStr | None, Field(max_length=5, examples=["09:30"])] = None
    day_of_week: Annotated[
        StrictStr | StrictInt | None,
        Field(description='"monday".."sunday" ("mon".."sun"), or 1-7 with Monday = 1'),
    ] = None
    day_of_month: Annotated[StrictInt | None, Field(description="1-28")] = None
    timezone: Annotated[StrictStr | None, Field(max_length=64, examples=["America/New_York"])] = (
        None
    )


class RecurringCreate(Strict):
    symbol: Symbol
    side: Side
    qty: DecimalIn | None = None
    notional: DecimalIn | None = None
    schedule: ScheduleIn
    start_at: Time | None = None
    end_at: Time | None = None


class RecurringPatch(Strict):
    """Only the fields sent change; ``qty`` or ``notional`` replaces the other."""

    symbol: Symbol | None = None
    side: Side | None = None
    qty: DecimalIn | None = None
    notional: DecimalIn | None = None
    schedule: ScheduleIn | None = None
    start_at: Time | None = None
    end_at: Time | None = None


class AlertOrderIn(Strict):
    side: Side
    qty: DecimalIn | None = None
    notional: DecimalIn | None = None
    type: Literal["market", "limit"] = "market"
    limit_price: DecimalIn | None = None
    time_in_force: Literal["day", "gtc", "ioc", "fok"] = "day"


class AlertCreate(Strict):
    symbol: Symbol
    condition: Condition
    price: DecimalIn
    action: Literal["notify", "order"]
    order: AlertOrderIn | None = None
    expires_at: Time | None = None


class ScheduleOut(BaseModel):
    cron: str | None
    frequency: str | None
    at: str | None
    day_of_week: str | None
    day_of_month: int | None
    timezone: str


class RecurringOrder(BaseModel):
    id: UUID
    symbol: str
    side: Side
    qty: DecimalStr | None
    notional: DecimalStr | None
    schedule: ScheduleOut
    start_at: datetime
    end_at: datetime | None
    status: Literal["active", "paused", "completed"]
    next_run_at: datetime | None
    last_run_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Any) -> "RecurringOrder":
        return cls.model_validate(row, from_attributes=True)


class Run(BaseModel):
    """One run: ``outcome`` is pending until its order ends (``order_id`` is known then;
    ``client_order_id`` finds the order at once: GET /api/v1/orders/by-client-id/...)."""

    id: UUID
    recurring_order_id: UUID
    scheduled_for: datetime
    client_order_id: str
    order_id: UUID | None
    outcome: Literal["pending", "succeeded", "failed"]
    order_status: str | None
    symbol: str
    side: Side
    qty: DecimalStr | None
    notional: DecimalStr | None
    filled_qty: DecimalStr | None
    filled_avg_price: DecimalStr | None
    reason: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> "Run":
        fields = dict(row._mapping)
        fields["outcome"] = "pending" if row.status == "placed" else row.status
        return cls.model_validate(fields)


class AlertOrder(BaseModel):
    side: Side
    qty: DecimalStr | None
    notional: DecimalStr | None
    type: Literal["market", "limit"]
    limit_price: DecimalStr | None
    time_in_force: str


class Alert(BaseModel):
    id: UUID
    symbol: str
    condition: Condition
    price: DecimalStr
    action: Literal["notify", "order"]
    order: AlertOrder | None
    status: Literal["active", "triggered", "expired"]
    expires_at: datetime | None
    triggered_at: datetime | None
    triggered_price: DecimalStr | None
    client_order_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Any) -> "Alert":
        return cls.model_validate(row, from_attributes=True)


RecurringPage = Page[RecurringOrder]
RunPage = Page[Run]
AlertPage = Page[Alert]
