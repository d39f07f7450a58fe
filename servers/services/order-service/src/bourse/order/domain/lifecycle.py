"""How engine events move an order through its states (API.md, Orders: statuses).

    pending_new -> new -> partially_filled -> filled
    pending_cancel -> canceled ; rejected ; expired (day orders at session end)

A fill that arrives while a cancel is pending keeps the order pending_cancel unless it
completes the order: the exchange decides the race, and the final event settles it.
"""

from dataclasses import dataclass
from decimal import Decimal

from bourse.contracts.orders import FINAL_STATUSES, OPEN_STATUSES

# The final statuses of an order taken off the book before it filled (its owner's cancel,
# the session's end, a replace): they stamp the order's canceled_at.
TAKEN_OFF = frozenset(FINAL_STATUSES) - {"filled", "rejected"}
AVG_PRICE_PLACES = Decimal("0.000001")


def avg_price(filled_qty: Decimal, filled_notional: Decimal) -> Decimal | None:
    """The volume-weighted price of the fills so far (None before the first)."""
    if not filled_qty:
        return None
    return (filled_notional / filled_qty).quantize(AVG_PRICE_PLACES)


@dataclass
class OrderState:
    status: str
    qty: Decimal | None  # None for a notional order
    filled_qty: Decimal
    filled_notional: Decimal

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def avg_price(self) -> Decimal | None:
        return avg_price(self.filled_qty, self.filled_notional)


def accepted(order: OrderState) -> bool:
    """The engine accepted the order; returns True if the status changed."""
    if order.status == "pending_new":
        order.status = "new"
        return True
    return False


def filled(order: OrderState, qty: Decimal, price: Decimal) -> None:
    order.filled_qty += qty
    order.filled_notional += qty * price
    if order.qty is not None and order.filled_qty >= order.qty:
        order.status = "filled"
    elif order.status in ("pending_new", "new"):
        order.status = "partially_filled"


def cancelled(order: OrderState, reason: str) -> None:
    """The engine removed what was left of the order."""
    if order.status in FINAL_STATUSES:
        return
    if reason == "end_of_day":
        order.status = "expired"
    elif order.qty is None and order.filled_qty > 0:
        order.status = "filled"  # a notional buy ends when its budget or the book runs out
    else:
        order.status = "canceled"


def rejected(order: OrderState) -> None:
    if order.status not in FINAL_STATUSES:
        order.status = "rejected"
