"""The ledger rows that one batch of events touches, held in memory while the batch is
applied in message order (ARCHITECTURE §4a): every event changes these copies exactly as
it would change the rows, and marks what it changed, so that the store writes each table
back once for the whole batch.

:func:`request_risk` and :func:`settle_order` are the two rules; each returns the events
it announces, in the order they are to be published.
"""

import logging
from dataclasses import dataclass, field, replace
from decimal import Decimal
from uuid import UUID

from bourse.contracts.events import (
    AccountUpdated,
    Fill,
    FillSettled,
    OrderChanged,
    Payload,
    RiskAccepted,
    RiskRejected,
    RiskRequested,
    SharesReleased,
)
from bourse.contracts.ids import uuid7
from bourse.contracts.orders import FINAL_STATUSES
from bourse.trader.domain.errors import LedgerError
from bourse.trader.domain.ledger import Balance, Position
from bourse.trader.domain.reservations import (
    Released,
    Reservation,
    charge_fee,
    finish,
    place,
    release_if_done,
    settle_fill,
)

log = logging.getLogger(__name__)

# The house account that every fee is credited to: cash moved between users plus the fees
# it collected add up to zero.
FEE_ACCOUNT = UUID("00000000-0000-0000-0000-000000000fee")
HoldingKey = tuple[UUID, str]  # (user, symbol)


@dataclass(frozen=True, slots=True)
class Activity:
    """A new ledger entry."""

    id: UUID
    user_id: UUID
    type: str
    amount: Decimal | None = None
    symbol: str | None = None
    qty: Decimal | None = None
    price: Decimal | None = None
    side: str | None = None
    order_id: UUID | None = None
    fill_id: UUID | None = None


@dataclass
class LedgerBooks:
    """Locked rows by key. ``holdings`` has an entry for every key that was loaded (zero
    for a holding with no row yet); asking for another one is a bug, not a zero."""

    accounts: dict[UUID, Balance]
    holdings: dict[HoldingKey, Position]
    reservations: dict[UUID, Reservation]
    applied_fills: set[tuple[UUID, UUID]]  # (order, fill) already in the ledger
    activities: list[Activity] = field(default_factory=list)
    changed_accounts: set[UUID] = field(default_factory=set)
    changed_holdings: set[HoldingKey] = field(default_factory=set)
    changed_reservations: set[UUID] = field(default_factory=set)

    def holding(self, user_id: UUID, symbol: str) -> Position:
        try:
            return self.holdings[(user_id, symbol)]
        except KeyError:
            raise LedgerError(f"holding {symbol} of {user_id} was not loaded") from None

    def keep(self, reservation: Reservation) -> None:
        self.reservations[reservation.order_id] = reservation
        self.changed_reservations.add(reservation.order_id)

    def collect_fee(self, fee: Decimal) -> None:
        self.accounts[FEE_ACCOUNT].receive(fee)
        self.changed_accounts.add(FEE_ACCOUNT)

    def record(self, activity: Activity) -> None:
        self.activities.append(activity)
        if activity.order_id is not None and activity.fill_id is not None:
            self.applied_fills.add((activity.order_id, activity.fill_id))


# ---------------------------------------------------------------- risk requests


def request_risk(books: LedgerBooks, event: RiskRequested) -> list[Payload]:
    """Hold cash (buy) or shares (sell) for a new order, or reject it. Idempotent by
    order id: a repeat re-announces the first decision and changes nothing."""
    announced: list[Payload] = []
    reservation = books.reservations.get(event.order_id)
    if reservation is None:
        reservation = Reservation.request(
            event.order_id,
            event.user_id,
            event.symbol,
            event.side,
            event.reserve_cash,
            event.reserve_qty,
        )
        announced += _reserve(books, reservation)
    announced.append(_decision(reservation))
    return announced


def _reserve(books: LedgerBooks, reservation: Reservation) -> list[Payload]:
    user_id, selling = reservation.user_id, reservation.side == "sell"
    balance = books.accounts[user_id]
    position = books.holding(user_id, reservation.symbol) if selling else Position()
    place(reservation, balance, position)
    books.keep(reservation)
    if reservation.status != "active":
        return []
    if selling:
        books.changed_holdings.add((user_id, reservation.symbol))
        return []
    books.changed_accounts.add(user_id)
    return []  # only reserved cash moved: no queue wants that (ARCHITECTURE §4a)


def _decision(reservation: Reservation) -> RiskAccepted | RiskRejected:
    ids = {"order_id": reservation.order_id, "user_id": reservation.user_id}
    if reservation.status == "rejected":
        return RiskRejected(**ids, reason=reservation.reject_reason or "rejected")
    return RiskAccepted(**ids)


def account_updated(
    user_id: UUID, balance: Balance, reason: str, settled: FillSettled | None = None
) -> AccountUpdated:
    return AccountUpdated(
        user_id=user_id,
        cash=balance.cash,
        reserved_cash=balance.reserved_cash,
        reason=reason,
        settled=settled,
    )


# ---------------------------------------------------------------- order changes


def settles(event: OrderChanged) -> bool:
    """Whether the change can move money: it carries a fill, or the order ended."""
    return event.fill is not None or event.order.status in FINAL_STATUSES


def settle_order(books: LedgerBooks, event: OrderChanged) -> list[Payload]:
    """Settle the fill the event carries (once per fill id); when the order has ended,
    record how much it filled; release what is still held once both are true."""
    if not settles(event):
        return []
    order = event.order
    reservation = books.reservations.get(order.id)
    if reservation is None:
        if event.fill is None:
            return []  # nothing was ever held for this order
        log.warning("fill for order %s without a reservation: settled from balances", order.id)
        reservation = Reservation(order.id, order.user_id, order.symbol, order.side)
        books.keep(reservation)
    if reservation.user_id != order.user_id:
        raise LedgerError(f"order {order.id} belongs to {reservation.user_id}")
    return _settle(books, event, reservation)


def _settle(books: LedgerBooks, event: OrderChanged, reservation: Reservation) -> list[Payload]:
    """Announce the account only when a fill moved its cash: a release moves reserved
    cash alone, which no queue wants (ARCHITECTURE §4a)."""
    user_id, symbol = reservation.user_id, reservation.symbol
    balance, position = books.accounts[user_id], books.holding(user_id, symbol)
    balance_before, position_before = replace(balance), replace(position)
    filled = event.fill is not None and _settle_fill(
        books, reservation, balance, position, event.fill
    )
    if event.order.status in FINAL_STATUSES:
        finish(reservation, event.order.filled_qty)
    released = release_if_done(reservation, balance, position)
    announced: list[Payload] = []
    if released is not None:
        _record_release(books, reservation, released)
        if released.qty > 0:  # shares back: order-service may be waiting for them
            announced.append(
                SharesReleased(
                    order_id=reservation.order_id, user_id=user_id, symbol=symbol,
                    qty=released.qty,
                )
            )  # fmt: skip
    books.keep(reservation)
    if position != position_before:
        books.changed_holdings.add((user_id, symbol))
    if balance == balance_before:
        return announced
    books.changed_accounts.add(user_id)
    if not filled or event.fill is None:
        return announced
    settled = FillSettled(
        order_id=reservation.order_id,
        symbol=symbol,
        side=reservation.side,
        fill=event.fill,
        order_class=event.order.order_class,
    )
    return [account_updated(user_id, balance, "fill", settled), *announced]


def _settle_fill(
    books: LedgerBooks,
    reservation: Reservation,
    balance: Balance,
    position: Position,
    fill: Fill,
) -> bool:
    """Apply ``fill`` unless it was applied before; True when it was applied now."""
    if (reservation.order_id, fill.id) in books.applied_fills:
        return False
    effect = settle_fill(reservation, balance, position, fill.qty, fill.price)
    books.record(_fill_activity(reservation, fill, "fill", effect, fill.id))
    if fill.fee > 0:
        fee = charge_fee(reservation, balance, fill.fee)
        books.record(_fill_activity(reservation, fill, "fee", -fee, None))
        books.collect_fee(fee)
    return True


def _fill_activity(
    reservation: Reservation, fill: Fill, kind: str, amount: Decimal, fill_id: UUID | None
) -> Activity:
    """The ledger entry of a fill (``fill_id``: what makes a redelivered fill a no-op)
    or of its fee."""
    return Activity(
        uuid7(),
        reservation.user_id,
        kind,
        amount=amount,
        symbol=reservation.symbol,
        qty=fill.qty,
        price=fill.price,
        side=reservation.side,
        order_id=reservation.order_id,
        fill_id=fill_id,
    )


def _record_release(books: LedgerBooks, reservation: Reservation, released: Released) -> None:
    if not released.anything:
        return
    books.record(
        Activity(
            uuid7(),
            reservation.user_id,
            "release",
            amount=released.cash if reservation.side == "buy" else None,
            symbol=reservation.symbol,
            qty=released.qty if reservation.side == "sell" else None,
            side=reservation.side,
            order_id=reservation.order_id,
        )
    )


# ---------------------------------------------------------------- what a batch needs


@dataclass(frozen=True)
class Needs:
    """The rows a batch of events reads: accounts, reservations, holdings (more holdings
    may follow from the reservations found), and the fills it carries."""

    users: frozenset[UUID]
    orders: frozenset[UUID]
    holdings: frozenset[HoldingKey]
    fills: frozenset[tuple[UUID, UUID]]


def needs(events: list[RiskRequested | OrderChanged]) -> Needs:
    users: set[UUID] = set()
    orders: set[UUID] = set()
    holdings: set[HoldingKey] = set()
    fills: set[tuple[UUID, UUID]] = set()
    for event in events:
        if isinstance(event, RiskRequested):
            users.add(event.user_id)
            orders.add(event.order_id)
            if event.side == "sell":
                holdings.add((event.user_id, event.symbol))
        elif settles(event):
            order = event.order
            users.add(order.user_id)
            orders.add(order.id)
            holdings.add((order.user_id, order.symbol))
            if event.fill is not None:
                fills.add((order.id, event.fill.id))
                if event.fill.fee > 0:
                    users.add(FEE_ACCOUNT)
    return Needs(frozenset(users), frozenset(orders), frozenset(holdings), frozenset(fills))
