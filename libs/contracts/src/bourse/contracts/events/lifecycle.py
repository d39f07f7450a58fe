"""Order lifecycle: order snapshots, fills and their settlement, cancel requests."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from bourse.contracts import fees, topology
from bourse.contracts.events.base import OrderStatus, Payload, Side
from bourse.contracts.money import DecimalStr

# -- order lifecycle ------------------------------------------------------------------------


class OrderSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: UUID
    user_id: UUID
    client_order_id: str | None
    symbol: str
    side: Side
    type: str
    time_in_force: str
    qty: DecimalStr | None
    notional: DecimalStr | None
    limit_price: DecimalStr | None
    filled_qty: DecimalStr
    filled_avg_price: DecimalStr | None
    status: OrderStatus
    reject_reason: str | None
    updated_at: datetime
    # The rest of API.md's order object (optional: senders from before them omit them).
    stop_price: DecimalStr | None = None
    created_at: datetime | None = None
    filled_at: datetime | None = None
    canceled_at: datetime | None = None
    replaces: UUID | None = None
    replaced_by: UUID | None = None
    order_class: str = "simple"  # simple, bracket, oco, oto (a leg has its parent's)
    trail_price: DecimalStr | None = None  # trailing stops: the distance, and the water
    trail_percent: DecimalStr | None = None  # mark as of the change (stop_price follows it)
    hwm: DecimalStr | None = None


class Fill(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: UUID
    qty: DecimalStr
    price: DecimalStr
    liquidity: fees.Liquidity
    ts: datetime
    fee: DecimalStr = Decimal(0)  # cash (bourse.contracts.fees); 0 in fills from before fees


class FillSettled(BaseModel):
    """A fill of ``order_id`` as the ledger settled it; ``order_class`` is its order's
    (a leg has its parent's), so that only the fills a take-profit may wait for go to
    order-service (see :meth:`AccountUpdated.routing_key`)."""

    model_config = ConfigDict(frozen=True)
    order_id: UUID
    symbol: str
    side: Side
    fill: Fill
    order_class: str = "simple"


class OrderChanged(Payload):
    """An order reached a new state; ``fill`` is set when a fill caused it. Routing key:
    ``order.<status>`` (order.pending_new when it is created, order.new,
    order.partially_filled, order.filled, order.canceled, order.rejected, order.expired,
    order.replaced; order.pending_cancel for a fill that came while a cancel was pending),
    and ``order.<status>.<requested_by>`` for an order another service asked for
    (``order.filled.auto``): the requester binds the outcomes of its own orders alone,
    everyone else ``order.<status>.#``."""

    TYPE = "order.changed"
    EXCHANGE = topology.ORDERS
    order: OrderSnapshot
    fill: Fill | None = None
    requested_by: str | None = None

    def routing_key(self) -> str:
        status = f"order.{self.order.status}"
        return status if self.requested_by is None else f"{status}.{self.requested_by}"


class OrderCancelRequested(Payload):
    """A cancel of ``order`` was accepted (it is ``pending_cancel`` now; the exchange, or
    the risk answer, ends it). Not an ``order.pending_cancel`` OrderChanged: that key
    carries the fills that come while a cancel is pending, and its subscribers (trader,
    portfolio) want only those."""

    TYPE = "order.cancel_requested"
    EXCHANGE = topology.ORDERS
    order: OrderSnapshot
