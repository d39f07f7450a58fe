"""Pre-trade risk and settlement of one order's reservation.

* :func:`place` holds what a new order needs (cash for a buy, shares for a sell) or
  rejects it; nothing is held for a rejected order.
* :func:`settle_fill` applies one fill: a buy pays price x qty, first from the cash its
  reservation still holds (never more than remains), the rest from buying power, and
  receives the shares; a sell delivers the shares (held ones first) and receives the
  proceeds.
* :func:`charge_fee` charges a fill's fee after it: a buy from what its reservation
  still holds (which includes the worst-case fee), then from buying power; a sell from
  its proceeds.
* :func:`finish` records the order's final filled quantity when it ends (filled, canceled,
  rejected, expired, replaced).
* :func:`release_if_done` gives back what the reservation still holds once the order has
  ended AND every one of its fills has been applied, so a terminal event that overtakes
  a fill (or a cancel that loses the race to one) releases exactly once, at the end.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from uuid import UUID

from bourse.trader.domain.amounts import ZERO, credit, debit
from bourse.trader.domain.errors import LedgerError
from bourse.trader.domain.ledger import Balance, Position

Side = Literal["buy", "sell"]
Status = Literal["active", "closed", "rejected"]

INSUFFICIENT_BUYING_POWER = "insufficient_buying_power"
INSUFFICIENT_POSITION = "insufficient_position"
INVALID_RESERVATION = "invalid_reservation"


@dataclass
class Reservation:
    order_id: UUID
    user_id: UUID
    symbol: str
    side: Side
    cash_remaining: Decimal = ZERO
    qty_remaining: Decimal = ZERO
    filled_qty_applied: Decimal = ZERO
    final_filled_qty: Decimal | None = None
    status: Status = "active"
    reject_reason: str | None = None

    @classmethod
    def request(
        cls, order_id: UUID, user_id: UUID, symbol: str, side: Side, cash: Decimal, qty: Decimal
    ) -> "Reservation":
        """What a new order asks to hold: cash (rounded up to the ledger's 4 places) for a
        buy, shares for a sell."""
        if side == "buy":
            return cls(order_id, user_id, symbol, side, cash_remaining=debit(cash))
        return cls(order_id, user_id, symbol, side, qty_remaining=qty)

    @property
    def done(self) -> bool:
        """Ended, with every fill applied: what remains can go back."""
        return (
            self.status == "active"
            and self.final_filled_qty is not None
            and self.filled_qty_applied >= self.final_filled_qty
        )

    def reject(self, reason: str) -> None:
        self.status = "rejected"
        self.reject_reason = reason
        self.cash_remaining = self.qty_remaining = ZERO


@dataclass(frozen=True)
class Released:
    cash: Decimal
    qty: Decimal

    @property
    def anything(self) -> bool:
        return self.cash > 0 or self.qty > 0


def place(reservation: Reservation, balance: Balance, position: Position) -> None:
    """Hold what ``reservation`` asks for, or mark it rejected with the reason."""
    if reservation.side == "buy":
        amount = reservation.cash_remaining
        if amount <= 0:
            reservation.reject(INVALID_RESERVATION)
        elif not balance.hold(amount):
            reservation.reject(INSUFFICIENT_BUYING_POWER)
        return
    qty = reservation.qty_remaining
    if qty <= 0:
        reservation.reject(INVALID_RESERVATION)
    elif not position.hold(qty):
        reservation.reject(INSUFFICIENT_POSITION)


def settle_fill(
    reservation: Reservation, balance: Balance, position: Position, qty: Decimal, price: Decimal
) -> Decimal:
    """Apply one fill; returns its cash effect (negative for a buy)."""
    if qty <= 0 or price <= 0:
        raise LedgerError(f"fill of {qty} at {price} for order {reservation.order_id}")
    if reservation.status == "rejected":
        raise LedgerError(f"fill for order {reservation.order_id} that risk rejected")
    if reservation.side == "buy":
        cost = debit(price * qty)
        held = min(cost, reservation.cash_remaining)
        balance.pay(cost, held)
        reservation.cash_remaining -= held
        position.add(qty)
        effect = -cost
    else:
        held = min(qty, reservation.qty_remaining)
        position.deliver(qty, held)
        reservation.qty_remaining -= held
        effect = credit(price * qty)
        balance.receive(effect)
    reservation.filled_qty_applied += qty
    return effect


def charge_fee(reservation: Reservation, balance: Balance, fee: Decimal) -> Decimal:
    """Charge ``fee`` for a fill just applied; returns what was charged. A fee that
    nothing is left to cover is waived, never overdrawn: only the rounding of many small
    fills can pass the worst case a buy holds (bourse.contracts.fees)."""
    if fee < 0:
        raise LedgerError(f"negative fee {fee} for order {reservation.order_id}")
    held = min(fee, reservation.cash_remaining) if reservation.side == "buy" else ZERO
    charged = min(fee, held + balance.buying_power)
    balance.pay(charged, held)
    reservation.cash_remaining -= held
    return charged


def finish(reservation: Reservation, final_filled_qty: Decimal) -> None:
    """The order ended having filled ``final_filled_qty`` in all."""
    if reservation.status == "active":
        reservation.final_filled_qty = final_filled_qty


def release_if_done(
    reservation: Reservation, balance: Balance, position: Position
) -> Released | None:
    """Give back what is still held once the order is done; None while it is not."""
    if not reservation.done:
        return None
    released = Released(reservation.cash_remaining, reservation.qty_remaining)
    balance.unhold(released.cash)
    position.unhold(released.qty)
    reservation.cash_remaining = reservation.qty_remaining = ZERO
    reservation.status = "closed"
    return released
