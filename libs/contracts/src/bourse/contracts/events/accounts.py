"""Identity and pre-trade risk: users, cash and shares held for orders (order <-> trader)."""

from uuid import UUID

from bourse.contracts import topology
from bourse.contracts.events.base import Payload, Side, SymbolPayload
from bourse.contracts.events.lifecycle import FillSettled
from bourse.contracts.money import DecimalStr

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
        reservation or a release moves reserved cash, never cash); a settled fill adds its
        order's class (``account.updated.fill.bracket``), so that order-service receives
        the fills of classed orders alone, not one per fill of every order."""
        key = f"{self.TYPE}.{self.reason}"
        return key if self.settled is None else f"{key}.{self.settled.order_class}"


class SecuritiesDeposited(SymbolPayload):
    """Shares transferred in from another broker (how a seller first comes to hold stock);
    ``qty`` is the change, ``position_qty`` the holding after it."""

    TYPE = "account.securities_deposited"
    EXCHANGE = topology.TRADER
    user_id: UUID
    deposit_id: UUID
    qty: DecimalStr
    position_qty: DecimalStr
