"""Payloads of the trading path. Each model: ``TYPE`` (envelope type), ``VERSION``,
``EXCHANGE`` and a ``routing_key()``. Names are past tense: they state what happened."""

from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, field_validator

from bourse.contracts import fees, topology
from bourse.contracts.money import DecimalStr

Side = Literal["buy", "sell"]
OrderStatus = Literal[
    "pending_new",
    "new",
    "partially_filled",
    "filled",
    "pending_cancel",
    "canceled",
    "rejected",
    "expired",
    "replaced",
]


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True)
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    EXCHANGE: ClassVar[str]
    # A command must reach a queue (publishing retries until one is bound); an event with
    # no subscriber yet is simply not delivered to anyone.
    ROUTE_REQUIRED: ClassVar[bool] = False

    def routing_key(self) -> str:
        return self.TYPE


class SymbolPayload(Payload):
    """An event about one symbol, routed as ``<type>.<SYMBOL>`` (market.trade.AAPL)."""

    symbol: str

    def routing_key(self) -> str:
        return f"{self.TYPE}.{self.symbol}"


# -- identity ---------------------------------------------------------------------------


class UserRegistered(Payload):
    TYPE = "user.registered"
    EXCHANGE = topology.USERS
    user_id: UUID
    email: str
    name: str | None = None


# -- pre-trade risk (order <-> trader) ----------------------------------------------------


class RiskRequested(Payload):
    """Reserve ``reserve_cash`` (buys) or ``reserve_qty`` shares (sells) for an order."""

    TYPE = "order.risk_requested"
    EXCHANGE = topology.ORDERS
    order_id: UUID
    user_id: UUID
    symbol: str
    side: Side
    reserve_cash: DecimalStr
    reserve_qty: DecimalStr


class RiskAccepted(Payload):
    TYPE = "risk.accepted"
    EXCHANGE = topology.TRADER
    order_id: UUID
    user_id: UUID


class RiskRejected(Payload):
    TYPE = "risk.rejected"
    EXCHANGE = topology.TRADER
    order_id: UUID
    user_id: UUID
    reason: str


class SharesReleased(Payload):
    """The shares an ended sell order still held are available again (trader-service
    released its reservation). order-service waits for it before an order that needs
    those shares (a position's close, a fired stop-loss) asks for its risk check: asked
    earlier, it could overtake the release on trader-service's competing consumers."""

    TYPE = "holding.released"
    EXCHANGE = topology.TRADER
    order_id: UUID
    user_id: UUID
    symbol: str
    qty: DecimalStr


class AccountUpdated(Payload):
    """The cash of an account after a change. ``amount`` is the signed change of cash for
    a deposit or withdrawal (None for the others); ``activity_id`` the ledger entry;
    ``settled`` the fill that a ``fill`` update settled: the one settlement event of a
    fill, which carries both its cash and its shares (ARCHITECTURE §4a)."""

    TYPE = "account.updated"
    EXCHANGE = topology.TRADER
    user_id: UUID
    cash: DecimalStr
    reserved_cash: DecimalStr
    reason: str  # deposit, withdrawal, fill
    amount: DecimalStr | None = None
    activity_id: UUID | None = None
    settled: "FillSettled | None" = None

    def routing_key(self) -> str:
        """``account.updated.<reason>``: a subscriber binds only the changes it needs (a
        reservation or a release moves reserved cash, never cash)."""
        return f"{self.TYPE}.{self.reason}"


class SecuritiesDeposited(SymbolPayload):
    """Shares transferred in from another broker (how a seller first comes to hold stock);
    ``qty`` is the change, ``position_qty`` the holding after it."""

    TYPE = "account.securities_deposited"
    EXCHANGE = topology.TRADER
    user_id: UUID
    deposit_id: UUID
    qty: DecimalStr
    position_qty: DecimalStr


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


# -- market data ---------------------------------------------------------------------------


class TradeExecuted(SymbolPayload):
    """``seq`` orders trades within one journal (``epoch``); a new journal starts again."""

    TYPE = "market.trade"
    EXCHANGE = topology.MARKET
    trade_id: str
    price: DecimalStr
    qty: DecimalStr
    taker_side: Side
    seq: int
    ts: datetime
    epoch: UUID | None = None


class BookChanged(SymbolPayload):
    TYPE = "market.book"
    EXCHANGE = topology.MARKET
    bids: list[tuple[DecimalStr, DecimalStr]]
    asks: list[tuple[DecimalStr, DecimalStr]]
    seq: int
    ts: datetime
    epoch: UUID | None = None


class PriceChanged(SymbolPayload):
    TYPE = "market.price"
    EXCHANGE = topology.MARKET
    price: DecimalStr
    ts: datetime


class InstrumentChanged(SymbolPayload):
    """An instrument was created, halted or resumed: the full current state."""

    TYPE = "instrument.changed"
    EXCHANGE = topology.MARKET
    name: str
    tick_size: DecimalStr
    lot_size: DecimalStr
    status: Literal["trading", "halted"]
    last_price: DecimalStr | None = None
    # defaults: what an instrument announced before fees existed is charged the defaults
    maker_fee_bps: int = fees.DEFAULT_MAKER_FEE_BPS
    taker_fee_bps: int = fees.DEFAULT_TAKER_FEE_BPS


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
    """A fill of ``order_id`` as the ledger settled it."""

    model_config = ConfigDict(frozen=True)
    order_id: UUID
    symbol: str
    side: Side
    fill: Fill


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
    symbols: list[str] = []


AccountUpdated.model_rebuild()  # ``settled`` names FillSettled, defined further down
