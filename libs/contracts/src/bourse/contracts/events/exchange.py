"""The exchange's commands and reports (order -> exchange-server -> order)."""

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, field_validator

from bourse.contracts import topology
from bourse.contracts.events.base import Payload, Side

# -- the exchange (order -> exchange-server -> order) ---------------------------------------


class ExchangeCommand(Payload):
    """One engine command for one symbol. ``engine_id`` is the order's integer id inside
    the book; ``owner`` (the user) drives self-trade prevention."""

    TYPE = "exchange.command"
    EXCHANGE = topology.EXCHANGE
    ROUTE_REQUIRED = True
    symbol: str
    op: Literal["new", "cancel", "replace", "end_of_day"]
    engine_id: int | None = None
    order_id: UUID | None = None
    side: Side | None = None
    order_type: Literal["limit", "market", "stop", "stop_limit", "trailing_stop"] | None = None
    price: int | None = None  # ticks
    stop_price: int | None = None  # ticks
    trail: int | None = None  # ticks: a trailing stop's distance (or trail_bps)
    trail_bps: int | None = None  # basis points of the water mark
    qty: int | None = None  # lots
    tif: Literal["gtc", "day", "ioc", "fok"] | None = None
    owner: str | None = None
    budget: int | None = None  # ticks x lots, market buys by notional
    shards: int = 1  # how many exchange shards the sender routes over

    def routing_key(self) -> str:
        return topology.command_key(self.symbol, self.shards)


class EngineEvent(BaseModel):
    """One event of the matching engine, as the exchange server reports it. The engine's
    own event is ``cancelled`` (its replay contract); messages say ``canceled``, as the API
    does. A report sent before the rename (still in a queue or an outbox at an upgrade)
    says ``cancelled``: it is read as ``canceled``."""

    model_config = ConfigDict(frozen=True)
    type: Literal["accepted", "rejected", "trade", "canceled", "replaced", "triggered", "trailed"]
    id: int | None = None
    taker: int | None = None
    maker: int | None = None
    price: int | None = None
    qty: int | None = None
    reason: str | None = None
    stop_price: int | None = None  # "trailed": a trailing stop's new stop, in ticks ...
    water_mark: int | None = None  # ... and the water mark it follows

    @field_validator("type", mode="before")
    @classmethod
    def _read_old_spelling(cls, value: object) -> object:
        return "canceled" if value == "cancelled" else value


class ExecutionsReported(Payload):
    """The events one command produced, in engine order. ``first_seq`` is the book's
    sequence number of the first event; consumers apply reports in ``first_seq`` order.
    ``epoch`` names the journal of shard ``shard`` that produced them (None: a sender from
    before epochs): seqs restart with every new journal, so (epoch, seq) is the identity."""

    TYPE = "exchange.executions"
    EXCHANGE = topology.EXCHANGE
    # The exchange marks a report published once confirmed and never sends it again: one
    # dropped for want of a queue would leave its orders and reservations stuck forever.
    ROUTE_REQUIRED = True
    symbol: str
    command_id: UUID
    first_seq: int
    events: list[EngineEvent]
    epoch: UUID | None = None
    shard: int | None = None

    def routing_key(self) -> str:
        return topology.execution_key(self.symbol)


class ExchangeStarted(Payload):
    """A shard finished recovery and is about to consume commands, at journal ``seq`` of
    journal ``epoch``. Routed with the execution reports (after every report published
    before it), so a consumer learns of a new journal even before it reports anything."""

    TYPE = "exchange.started"
    EXCHANGE = topology.EXCHANGE
    shard: int
    shards: int
    epoch: UUID
    seq: int

    def routing_key(self) -> str:
        return topology.started_key(self.shard)


def trade_key(symbol: str, seq: int, epoch: UUID | None) -> str:
    """The id of the trade with book seq ``seq`` of ``symbol`` in journal ``epoch``: the
    exchange's ``TradeExecuted.trade_id`` and order-service's fills use the same key."""
    return f"{symbol}:{seq}" if epoch is None else f"{symbol}:{epoch}:{seq}"
