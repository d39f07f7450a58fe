"""What each consumed event tells its user: a :class:`Draft` (type, title, body, data)
and the ``source_key`` that names the event's cause, so that the same cause (whatever
message id it arrives under) never makes a second notification."""

from dataclasses import dataclass, field
from typing import Any

from bourse.contracts.events import (
    AccountUpdated,
    AlertTriggered,
    AutoRunFinished,
    OrderChanged,
    OrderSnapshot,
    UserRegistered,
)
from bourse.contracts.orders import OUTCOME_STATUSES
from bourse.notifications.domain.formatting import money, number, optional, reason

# A user is told how each order ends, and of each fill on the way. Not ``replaced``: the
# replacement goes on, and its own end is told (trade updates show every status).
NOTIFIED_STATUSES = ("partially_filled", *OUTCOME_STATUSES)
ORDER_TYPES = frozenset(f"order.{status}" for status in NOTIFIED_STATUSES)
TYPES = ORDER_TYPES | {
    "auto.run.succeeded",
    "auto.run.failed",
    "alert.triggered",
    "account.deposit",
    "user.registered",
}


@dataclass(frozen=True)
class Draft:
    type: str
    title: str
    body: str
    source_key: str
    data: dict[str, Any] = field(default_factory=dict)


def for_order(event: OrderChanged) -> Draft | None:
    """A notification for the states a user cares about; None for the others."""
    order = event.order
    kind = f"order.{order.status}"
    if kind not in ORDER_TYPES:
        return None
    title, body = _order_text(order, event)
    key = f"order:{order.id}:{order.status}"
    if order.status == "partially_filled":  # one per fill: the filled qty only grows
        key += f":{number(order.filled_qty)}"
    return Draft(kind, title, body, key, _order_data(event))


def _order_text(order: OrderSnapshot, event: OrderChanged) -> tuple[str, str]:
    what = f"Your {order.side} order for {_size(order)}"
    avg = optional(order.filled_avg_price)
    at = f" at an average price of {avg}" if avg else ""
    filled = number(order.filled_qty)
    match order.status:
        case "filled":
            return "Order filled", f"{what} was filled: {filled} {order.symbol}{at}."
        case "partially_filled":
            done = f"{number(event.fill.qty)} at {number(event.fill.price)}" if event.fill else ""
            now = f"{done}; " if done else ""
            return (
                "Order partially filled",
                f"{what} is partially filled: {now}{filled} so far{at}.",
            )
        case "canceled":
            why = _CANCEL_REASONS.get(order.reject_reason or "", "")
            return "Order canceled", f"{what} was canceled{_partly(order)}{why}."
        case "rejected":
            return "Order rejected", f"{what} was rejected: {reason(order.reject_reason)}."
        case _:
            return "Order expired", f"{what} expired at the end of its session{_partly(order)}."


# Why an order was canceled other than by its owner (order-service's reject_reason).
_CANCEL_REASONS = {
    "exchange_reset": ": the exchange restarted without its order book (exchange reset),"
    " and what it reserved is available again",
}


def _size(order: OrderSnapshot) -> str:
    if order.qty is not None:
        return f"{number(order.qty)} {order.symbol}"
    if order.notional is not None:
        return f"{money(order.notional)} of {order.symbol}"
    return order.symbol


def _partly(order: OrderSnapshot) -> str:
    if order.filled_qty <= 0:
        return ""
    return f" after {number(order.filled_qty)} {order.symbol} had filled"


def _order_data(event: OrderChanged) -> dict[str, Any]:
    order = event.order
    data: dict[str, Any] = {
        "order_id": str(order.id),
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "status": order.status,
        "qty": optional(order.qty),
        "notional": optional(order.notional),
        "limit_price": optional(order.limit_price),
        "filled_qty": number(order.filled_qty),
        "filled_avg_price": optional(order.filled_avg_price),
        "reject_reason": order.reject_reason,
    }
    if event.fill is not None:
        data["fill"] = {
            "id": str(event.fill.id),
            "qty": number(event.fill.qty),
            "price": number(event.fill.price),
        }
    return data


def for_auto_run(event: AutoRunFinished) -> Draft:
    what = f"Your recurring {event.side} of {event.symbol}"
    if event.outcome == "succeeded":
        filled = optional(event.filled_qty)
        avg = optional(event.filled_avg_price)
        detail = f": {filled} {event.symbol}" if filled else ""
        detail += f" at an average price of {avg}" if avg else ""
        title, body = "Recurring order executed", f"{what} went through{detail}."
    else:
        title, body = "Recurring order failed", f"{what} failed: {reason(event.reason)}."
    data = {
        "run_id": str(event.run_id),
        "recurring_order_id": str(event.recurring_order_id),
        "order_id": str(event.order_id) if event.order_id else None,
        "client_order_id": event.client_order_id,
        "symbol": event.symbol,
        "side": event.side,
        "scheduled_for": event.scheduled_for.isoformat(),
        "filled_qty": optional(event.filled_qty),
        "filled_avg_price": optional(event.filled_avg_price),
        "reason": event.reason,
    }
    return Draft(f"auto.run.{event.outcome}", title, body, f"auto.run:{event.run_id}", data)


_CROSSED = {
    "above": "is above",
    "below": "is below",
    "crosses_above": "crossed above",
    "crosses_below": "crossed below",
}


def for_alert(event: AlertTriggered) -> Draft:
    body = (
        f"{event.symbol} {_CROSSED[event.condition]} {number(event.price)} "
        f"(last price {number(event.last_price)})."
    )
    if event.action == "order":
        body += " Your order was placed."
    data = {
        "alert_id": str(event.alert_id),
        "symbol": event.symbol,
        "condition": event.condition,
        "price": number(event.price),
        "last_price": number(event.last_price),
        "action": event.action,
        "client_order_id": event.client_order_id,
    }
    title = f"Price alert: {event.symbol}"
    return Draft("alert.triggered", title, body, f"alert:{event.alert_id}", data)


def for_account(event: AccountUpdated, message_id: str) -> Draft | None:
    """Deposits only. Without a ledger entry id the message id is the best key there is."""
    if event.reason != "deposit":
        return None
    added = "A deposit was" if event.amount is None else f"{money(event.amount)} was"
    body = f"{added} added to your account. Your cash balance is {money(event.cash)}."
    source = f"deposit:{event.activity_id}" if event.activity_id else f"message:{message_id}"
    data = {
        "amount": optional(event.amount),
        "cash": number(event.cash),
        "activity_id": str(event.activity_id) if event.activity_id else None,
    }
    return Draft("account.deposit", "Deposit received", body, source, data)


def for_registration(event: UserRegistered) -> Draft:
    hello = f"Hi {event.name}, your" if event.name else "Your"
    body = f"{hello} Bourse account is ready. Deposit funds to start trading."
    data = {"user_id": str(event.user_id), "name": event.name}
    return Draft("user.registered", "Welcome to Bourse", body, f"welcome:{event.user_id}", data)
