"""Price alerts: when a new price fires one.

``above`` / ``below`` fire when the price is at or beyond the level. A crossing needs two
consecutive prices on either side: ``crosses_above`` fires when the previous price was
below the level and the new one is at or above it (``crosses_below`` mirrors it); with no
previous price there is no crossing.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from bourse.auto.domain.errors import DomainError
from bourse.auto.domain.orders import MAX_PRICE, PRICE_PLACES, OrderSpec, check_order, positive

Condition = Literal["above", "below", "crosses_above", "crosses_below"]
Action = Literal["notify", "order"]


def fires(condition: Condition, level: Decimal, previous: Decimal | None, price: Decimal) -> bool:
    match condition:
        case "above":
            return price >= level
        case "below":
            return price <= level
        case "crosses_above":
            return previous is not None and previous < level <= price
        case "crosses_below":
            return previous is not None and previous > level >= price
    return False  # pragma: no cover


@dataclass(frozen=True)
class AlertDraft:
    """An alert as a client asks for it (not validated yet)."""

    symbol: str
    condition: Condition
    price: Decimal
    action: Action
    order: OrderSpec | None = None
    expires_at: datetime | None = None


def check_alert(draft: AlertDraft, now: datetime) -> AlertDraft:
    """``draft`` if valid; 422 ``invalid_price``, ``invalid_alert``, ``invalid_expiry``
    or an order's codes otherwise."""
    check_level(draft.price)
    if draft.action == "order" and draft.order is None:
        raise DomainError("invalid_alert", "an alert with action order needs an order")
    if draft.action == "notify" and draft.order is not None:
        raise DomainError("invalid_alert", "an order goes with action order only")
    if draft.order is not None:
        check_order(draft.order)
    if draft.expires_at is not None and draft.expires_at <= now:
        raise DomainError("invalid_expiry", "expires_at is in the past")
    return draft


def check_level(price: Decimal) -> Decimal:
    return positive(price, "invalid_price", "price", PRICE_PLACES, MAX_PRICE)
