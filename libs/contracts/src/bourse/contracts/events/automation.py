"""Automation (auto -> order, auto -> notifications) and the portfolio's live feeds."""

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from bourse.contracts import topology
from bourse.contracts.events.accounts import AccountUpdated
from bourse.contracts.events.base import Payload, Side, SymbolPayload
from bourse.contracts.money import DecimalStr

# -- automation (auto -> order, auto -> notifications) ---------------------------------------


class OrderRequested(Payload):
    """auto-service asks order-service to place an order for ``user_id`` (a recurring run
    or a triggered alert), through the normal path: the same validation and risk check.
    ``client_order_id`` is deterministic, so a repeat never places a second order; a
    request that fails validation becomes an order ``rejected`` with the reason."""

    TYPE = "auto.order_requested"
    EXCHANGE = topology.AUTO
    ROUTE_REQUIRED = True
    REQUESTER: ClassVar[str] = "auto"  # the order's events: order.<status>.auto
    user_id: UUID
    client_order_id: str
    symbol: str
    side: Side
    type: Literal["market", "limit"] = "market"
    time_in_force: Literal["day", "gtc", "ioc", "fok"] = "day"
    qty: DecimalStr | None = None
    notional: DecimalStr | None = None
    limit_price: DecimalStr | None = None


class AutoRunFinished(Payload):
    """A run of a recurring order ended: routed ``auto.run.succeeded`` (its order filled)
    or ``auto.run.failed`` (rejected, canceled or expired; ``reason`` says why)."""

    TYPE = "auto.run"
    EXCHANGE = topology.AUTO
    run_id: UUID
    recurring_order_id: UUID
    user_id: UUID
    symbol: str
    side: Side
    outcome: Literal["succeeded", "failed"]
    scheduled_for: datetime
    order_id: UUID | None = None
    client_order_id: str | None = None
    filled_qty: DecimalStr | None = None
    filled_avg_price: DecimalStr | None = None
    reason: str | None = None

    def routing_key(self) -> str:
        return f"auto.run.{self.outcome}"


class AlertTriggered(SymbolPayload):
    """A price alert fired (once): ``price`` is its level, ``last_price`` the price that
    fired it; with action ``order`` the order was requested as ``client_order_id``."""

    TYPE = "alert.triggered"
    EXCHANGE = topology.AUTO
    alert_id: UUID
    user_id: UUID
    condition: Literal["above", "below", "crosses_above", "crosses_below"]
    price: DecimalStr
    last_price: DecimalStr
    action: Literal["notify", "order"]
    client_order_id: str | None = None


# -- portfolio (portfolio -> its own instances' live feeds) -----------------------------------


class PortfolioUpdated(Payload):
    """A user's portfolio changed (committed): every portfolio instance pushes it to that
    user's open WebSockets. ``symbols`` are the positions that changed (empty for cash)."""

    TYPE = "portfolio.updated"
    EXCHANGE = topology.PORTFOLIO
    user_id: UUID
    reason: Literal["fill", "cash", "securities_deposit"]
    symbols: list[str] = []  # noqa: RUF012 (a pydantic field: each instance gets a copy)


AccountUpdated.model_rebuild()  # ``settled`` names FillSettled, defined further down
